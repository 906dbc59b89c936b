# sam build: every function has `BuildMethod: makefile` in template.yaml, so SAM copies the repository
# (CodeUri: .) to a scratch directory and runs `make --makefile <repository>/Makefile build-<LogicalId>`
# there, with ARTIFACTS_DIR set to the function's artefact directory (docs/aws-facts/lambda-runtime.md).
# Each target runs the project's own build for that function (scripts/build-functions.ts: the
# function's BuildProperties in template.yaml, esbuild and the SDK pruning plugin), writing
# $(ARTIFACTS_DIR)/index.mjs. It needs Node.js and the dev dependencies (`npm ci`) on the machine that
# runs sam build. `node --import tsx`, not node_modules/.bin/tsx: SAM's copy turns that link into a file.

BUILD = node --import tsx scripts/build-functions.ts --outdir "$(ARTIFACTS_DIR)" --function

.PHONY: build-PlanRemediationFunction build-SweepAuditsFunction build-CleanupExecutionFunction \
	build-ReportRemediationFunction build-AuditConfigurationFunction build-ApproveHeldBackFunction

build-PlanRemediationFunction:
	$(BUILD) PlanRemediationFunction

build-SweepAuditsFunction:
	$(BUILD) SweepAuditsFunction

build-CleanupExecutionFunction:
	$(BUILD) CleanupExecutionFunction

build-ReportRemediationFunction:
	$(BUILD) ReportRemediationFunction

build-AuditConfigurationFunction:
	$(BUILD) AuditConfigurationFunction

build-ApproveHeldBackFunction:
	$(BUILD) ApproveHeldBackFunction
