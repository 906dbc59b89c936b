/**
 * Mitigation actions: Create, Describe, Update, Delete and ListMitigationActions. An action's type is
 * the one `actionParams` member that is set (model `MitigationActionParams`); "You cannot specify a
 * logging level of DISABLED" (https://docs.aws.amazon.com/iot-device-defender/latest/devguide/dd-mitigation-actions.html).
 */
import { randomUUID } from 'node:crypto';
import type * as iot from '@aws-sdk/client-iot';
import type { Clock } from '../../clock.ts';
import { invalidRequest, notFound, ServiceError } from '../errors.ts';
import type { MitigationActionType } from '../facts/audit-checks.ts';
import { pageOf } from '../pagination.ts';
import type { MitigationActionRecord } from './executor.ts';

export const MAX_MITIGATION_ACTIONS = 100;

const ACTION_TYPE_BY_PARAMS: Readonly<Record<keyof iot.MitigationActionParams, MitigationActionType>> = {
  updateDeviceCertificateParams: 'UPDATE_DEVICE_CERTIFICATE',
  updateCACertificateParams: 'UPDATE_CA_CERTIFICATE',
  addThingsToThingGroupParams: 'ADD_THINGS_TO_THING_GROUP',
  replaceDefaultPolicyVersionParams: 'REPLACE_DEFAULT_POLICY_VERSION',
  enableIoTLoggingParams: 'ENABLE_IOT_LOGGING',
  publishFindingToSnsParams: 'PUBLISH_FINDING_TO_SNS',
};

export interface MitigationActionsOptions {
  readonly clock: Clock;
  readonly accountId: string;
  readonly region: string;
}

export class MitigationActions {
  readonly #options: MitigationActionsOptions;
  readonly #actions = new Map<string, MitigationActionRecord>();

  constructor(options: MitigationActionsOptions) {
    this.#options = options;
  }

  get(actionName: string): MitigationActionRecord | undefined {
    return this.#actions.get(actionName);
  }

  create(input: iot.CreateMitigationActionRequest): iot.CreateMitigationActionResponse {
    const name = input.actionName!;
    const existing = this.#actions.get(name);
    if (existing) {
      throw new ServiceError('ResourceAlreadyExistsException', `Mitigation action ${name} already exists`, {
        resourceId: existing.actionId,
        resourceArn: existing.actionArn,
      });
    }
    if (this.#actions.size >= MAX_MITIGATION_ACTIONS) {
      throw new ServiceError(
        'LimitExceededException',
        `At most ${MAX_MITIGATION_ACTIONS} mitigation actions`,
      );
    }
    const actionType = actionTypeOf(input.actionParams!);
    const { clock, region, accountId } = this.#options;
    const now = clock.now();
    const action: MitigationActionRecord = {
      actionName: name,
      actionType,
      actionArn: `arn:aws:iot:${region}:${accountId}:mitigationaction/${name}`,
      actionId: randomUUID(),
      roleArn: input.roleArn!,
      actionParams: input.actionParams!,
      creationDate: now,
      lastModifiedDate: now,
    };
    this.#actions.set(name, action);
    return { actionArn: action.actionArn, actionId: action.actionId };
  }

  describe(input: iot.DescribeMitigationActionRequest): iot.DescribeMitigationActionResponse {
    const action = this.#actions.get(input.actionName!);
    if (!action) throw notFound(`Mitigation action ${input.actionName} does not exist`);
    return {
      ...action,
      creationDate: new Date(action.creationDate),
      lastModifiedDate: new Date(action.lastModifiedDate),
    };
  }

  update(input: iot.UpdateMitigationActionRequest): iot.UpdateMitigationActionResponse {
    const action = this.#actions.get(input.actionName!);
    if (!action) throw notFound(`Mitigation action ${input.actionName} does not exist`);
    const actionParams = input.actionParams ?? action.actionParams;
    const actionType = actionTypeOf(actionParams);
    if (actionType !== action.actionType) {
      throw invalidRequest(`The action type of ${action.actionName} cannot change from ${action.actionType}`);
    }
    this.#actions.set(action.actionName, {
      ...action,
      roleArn: input.roleArn ?? action.roleArn,
      actionParams,
      lastModifiedDate: this.#options.clock.now(),
    });
    return { actionArn: action.actionArn, actionId: action.actionId };
  }

  /**
   * Succeeds for a missing action too: DeleteMitigationAction declares no ResourceNotFoundException
   * (local-cloud/model/iot-model-subset.json; https://docs.aws.amazon.com/iot/latest/apireference/API_DeleteMitigationAction.html).
   */
  delete(input: iot.DeleteMitigationActionRequest): iot.DeleteMitigationActionResponse {
    this.#actions.delete(input.actionName!);
    return {};
  }

  list(input: iot.ListMitigationActionsRequest): iot.ListMitigationActionsResponse {
    const matching = [...this.#actions.values()].filter(
      (a) => input.actionType === undefined || a.actionType === input.actionType,
    );
    const { page, nextToken } = pageOf(matching, input);
    return {
      actionIdentifiers: page.map((a) => ({
        actionName: a.actionName,
        actionArn: a.actionArn,
        creationDate: new Date(a.creationDate),
      })),
      nextToken,
    };
  }
}

function actionTypeOf(params: iot.MitigationActionParams): MitigationActionType {
  const given = (Object.keys(ACTION_TYPE_BY_PARAMS) as (keyof iot.MitigationActionParams)[]).filter(
    (member) => params[member] !== undefined,
  );
  if (given.length !== 1) throw invalidRequest('actionParams must hold exactly one kind of parameters');
  if (params.enableIoTLoggingParams?.logLevel === 'DISABLED') {
    throw invalidRequest('logLevel DISABLED cannot be used in a mitigation action');
  }
  return ACTION_TYPE_BY_PARAMS[given[0]!];
}
