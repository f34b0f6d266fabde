import { onTestFinished } from 'vitest';
import { type FakeAliyunOptions, startFakeAliyunGateway } from './fake-aliyun-core.js';

export type { FakeAliyunAnswer, FakeAliyunOptions, FakeAliyunRequest } from './fake-aliyun-core.js';

/**
 * The fake Alibaba Cloud gateway of test/helpers/fake-aliyun-core.ts (which checks every
 * request's ACS3 signature), closed when the test finishes.
 */
export async function startFakeAliyun(options: FakeAliyunOptions) {
  const gateway = await startFakeAliyunGateway(options);
  onTestFinished(() => gateway.close());
  return gateway;
}
