# Every function deploys a package that a plan and an apply in separate CI jobs both
# have: the one committed with the module (lambda_package/pitr.zip, rebuilt by `make package`,
# tests/test_package.py keeps it current), or the pipeline's own artifact (lambda_package).

mock_provider "aws" {
  source = "./tests/mocks"
}

run "committed_package_by_default" {
  command = plan

  assert {
    # Relative to the root module and inside the module source: the saved plan holds no absolute path
    # of the plan job's machine, and the apply job's checkout has the same file at the same place.
    condition     = alltrue([for f in values(output.rendered.functions) : f.filename == "modules/lambda_function/../../lambda_package/pitr.zip"])
    error_message = "every function deploys the package committed with the module: ${jsonencode([for f in values(output.rendered.functions) : f.filename])}"
  }
  assert {
    condition     = alltrue([for f in values(output.rendered.functions) : f.source_code_hash == filebase64sha256("lambda_package/pitr.zip")])
    error_message = "the code hash is the committed package's, known at plan"
  }
  assert {
    condition     = length(output.rendered.functions) == 5
    error_message = "five functions"
  }
}

run "pipeline_artifact" {
  command = plan

  variables {
    lambda_package = {
      filename         = "/builds/artifacts/pitr-1.4.2.zip"
      source_code_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    }
  }

  assert {
    condition     = alltrue([for f in values(output.rendered.functions) : f.filename == "/builds/artifacts/pitr-1.4.2.zip" && f.source_code_hash == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="])
    error_message = "lambda_package replaces the committed package for every function"
  }
}

run "artifact_must_be_a_zip" {
  command = plan

  variables {
    lambda_package = { filename = "/builds/artifacts/pitr.tar.gz" }
  }

  expect_failures = [var.lambda_package]
}
