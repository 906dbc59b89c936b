// aws-local-stepfunctions 3 calls Promise.withResolvers, which Node only has from version 22.
const promise = Promise as unknown as { withResolvers?: unknown };

if (typeof promise.withResolvers !== 'function') {
  promise.withResolvers = <T>() => {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const settled = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise: settled, resolve, reject };
  };
}
