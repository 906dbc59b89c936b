/** Which service method answers which model operation. */
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
  DescribeAuditSuppression: (s, i) => s.describeAuditSuppression(i),
  DeleteAuditSuppression: (s, i) => s.deleteAuditSuppression(i),
  StartOnDemandAuditTask: (s, i) => s.startOnDemandAuditTask(i),
  CancelAuditTask: (s, i) => s.cancelAuditTask(i),
  DescribeAuditFinding: (s, i) => s.describeAuditFinding(i),
  UpdateMitigationAction: (s, i) => s.updateMitigationAction(i),
  DeleteMitigationAction: (s, i) => s.deleteMitigationAction(i),
  DescribeAccountAuditConfiguration: (s) => s.describeAccountAuditConfiguration(),
  UpdateAccountAuditConfiguration: (s, i) => s.updateAccountAuditConfiguration(i),
  CreateScheduledAudit: (s, i) => s.createScheduledAudit(i),
  DescribeScheduledAudit: (s, i) => s.describeScheduledAudit(i),
  ListScheduledAudits: (s, i) => s.listScheduledAudits(i),
};
