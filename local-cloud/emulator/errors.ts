/**
 * An error the service answers with. `type` is the model's error shape name; the server turns it into
 * the shape's HTTP status, `x-amzn-ErrorType` and a JSON body.
 */
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    /** Extra members of the error shape (ResourceAlreadyExistsException has resourceId, resourceArn). */
    readonly members: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = type;
  }
}

export const invalidRequest = (message: string) => new ServiceError('InvalidRequestException', message);
export const notFound = (message: string) => new ServiceError('ResourceNotFoundException', message);
