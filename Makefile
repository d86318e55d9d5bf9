# Builds the to-do example's deployable artifacts (Lambda zip, Cloud
# Functions source, Azure Functions app) into dist/.
.PHONY: deploy-artifacts
deploy-artifacts:
	bash examples/todo/deploy/build.sh all
