/** Which service method answers which model operation; operations not listed are not emulated yet. */
import type { DeviceDefenderService } from './service.ts';

type Handler = (service: DeviceDefenderService, input: never) => object;

export const operationHandlers: Readonly<Record<string, Handler>> = {
  StartAuditMitigationActionsTask: (s, i) => s.startAuditMitigationActionsTask(i),
  DescribeAuditMitigationActionsTask: (s, i) => s.describeAuditMitigationActionsTask(i),
  ListAuditMitigationActionsTasks: (s, i) => s.listAuditMitigationActionsTasks(i),
  ListAuditMitigationActionsExecutions: (s, i) => s.listAuditMitigationActionsExecutions(i),
  CancelAuditMitigationActionsTask: (s, i) => s.cancelAuditMitigationActionsTask(i),
  DescribeAuditTask: (s, i) => s.describeAuditTask(i),
  ListAuditTasks: (s, i) => s.listAuditTasks(i),
  ListAuditFindings: (s, i) => s.listAuditFindings(i),
  CreateMitigationAction: (s, i) => s.createMitigationAction(i),
  DescribeMitigationAction: (s, i) => s.describeMitigationAction(i),
  ListMitigationActions: (s, i) => s.listMitigationActions(i),
  CreateAuditSuppression: (s, i) => s.createAuditSuppression(i),
  ListAuditSuppressions: (s, i) => s.listAuditSuppressions(i),
};
