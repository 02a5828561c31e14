# One stage of the stand-in deployment (a module the Makefile targets with -target=module.NAME).
# It records its inputs in a terraform_data resource and gives them back as its output, so a
# stage "exists" once applied and changes when its inputs change, with no provider download.
variable "input" {
  type = any
}

resource "terraform_data" "this" {
  input = var.input
}

output "value" {
  value = terraform_data.this.output
}
