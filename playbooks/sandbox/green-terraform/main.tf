# A stand-in for the green deployment's Terraform (deployments/cognito-rds-s3/terraform in the
# Kubeflow on AWS manifests) for rehearsals in the kfup sandbox, where green already exists.
# It takes the same inputs - the basic deployment settings and the production values that
# tfvars-from-state merges into sample.auto.tfvars - and has outputs shaped like the real
# deployment's, but it uses only Terraform's built-in terraform_data and a local state, so it
# needs no provider download and creates nothing outside this directory.
terraform {
  required_version = ">= 1.4"
}

variable "cluster_name" { type = string }
variable "cluster_region" { type = string }
variable "eks_version" {
  type    = string
  default = "1.29"
}
variable "stage" {
  type    = string
  default = "green"
}
variable "redirect_alias" {
  type    = string
  default = "kflive"
}
variable "use_alb_redirect" {
  type    = bool
  default = true
}
variable "use_rds" {
  type    = bool
  default = true
}
variable "use_s3" {
  type    = bool
  default = true
}
variable "use_efs" {
  type    = bool
  default = true
}
variable "use_fsx" {
  type    = bool
  default = false
}
variable "use_cognito" {
  type    = bool
  default = true
}
variable "src_velero_bucket_name" {
  type    = string
  default = ""
}

# production values (tfvars-from-state)
variable "src_vpc_private_subnets" { type = list(string) }
variable "src_vpc_public_subnets" { type = list(string) }
variable "src_vpc_id" { type = string }
variable "src_vpc_cidr" { type = string }
variable "src_efs_fs_id" {
  type    = string
  default = ""
}
variable "src_fsx_fs_id" {
  type    = string
  default = ""
}
variable "src_cluster_sg_id" { type = string }
variable "src_s3_secret_name" { type = string }
variable "src_s3_bucket_name" { type = string }
variable "src_rds_secret_name" { type = string }
variable "src_rds_endpoint" {
  type      = string
  sensitive = true
}
variable "user_pool_id" {
  type    = string
  default = ""
}
variable "cognito_user_pool_arn" {
  type    = string
  default = ""
}
variable "cognito_user_pool_domain" {
  type    = string
  default = ""
}
variable "certificate_arn" {
  type    = string
  default = ""
}
variable "src_stage" {
  type    = string
  default = ""
}
variable "subdomain" {
  type    = string
  default = "platform.example.com"
}

locals {
  platform_domain = "${var.stage}.${var.subdomain}"
}

resource "terraform_data" "eks_cluster" {
  input = {
    name          = var.cluster_name
    region        = var.cluster_region
    version       = var.eks_version
    vpc_id        = var.src_vpc_id
    subnets       = var.src_vpc_private_subnets
    public_subnet = var.src_vpc_public_subnets
    cluster_sg    = var.src_cluster_sg_id
  }
}

resource "terraform_data" "kubeflow_components" {
  input = {
    s3_bucket   = var.src_s3_bucket_name
    s3_secret   = var.src_s3_secret_name
    rds_secret  = var.src_rds_secret_name
    efs         = var.use_efs ? var.src_efs_fs_id : null
    fsx         = var.use_fsx ? var.src_fsx_fs_id : null
    user_pool   = var.use_cognito ? var.user_pool_id : null
    certificate = var.certificate_arn
  }
}

resource "terraform_data" "alb_redirect" {
  count = var.use_alb_redirect ? 1 : 0
  input = {
    alias  = "${var.redirect_alias}.${var.subdomain}"
    target = local.platform_domain
  }
}

output "kubeflow_platform_domain" {
  value = local.platform_domain
}

# the upstream deployment spells this output "kubelow_alias"; kept as it is for compatibility
output "kubelow_alias" {
  value = var.use_alb_redirect ? "${var.redirect_alias}.${var.subdomain}" : ""
}

output "eks_cluster_name" {
  value = terraform_data.eks_cluster.output.name
}

output "vpc_id" {
  value = var.src_vpc_id
}

output "rds_endpoint" {
  value     = var.src_rds_endpoint
  sensitive = true
}
