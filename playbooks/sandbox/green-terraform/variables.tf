# The green deployment's input variables, declared exactly as the real deployment declares them
# (../shared/fixtures/kubeflow-manifests/upgrade-terraform/variables.tf): the same names, types and
# defaults, in the same order. A variable without a default must be given, here as there.
# test/sandbox/terraform-stand-in.test.ts keeps the two sets equal.

variable "cluster_name" {
  type = string
}

variable "cluster_region" {
  type = string
}

variable "eks_version" {
  type    = string
  default = "1.22"
}

variable "node_instance_type" {
  type    = string
  default = "m5.xlarge"
}

variable "node_instance_type_gpu" {
  type    = string
  default = null
}

variable "using_velero" {
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

variable "use_cognito" {
  type    = bool
  default = true
}

variable "use_efs" {
  type    = bool
  default = true
}

variable "use_fsx" {
  type    = bool
  default = true
}

variable "enable_aws_telemetry" {
  type    = bool
  default = true
}

variable "publicly_accessible" {
  type    = bool
  default = false
}

variable "mlmdb_name" {
  type    = string
  default = "metadb"
}

variable "minio_service_region" {
  type    = string
  default = null
}

variable "minio_service_host" {
  type    = string
  default = "s3.amazonaws.com"
}

variable "kf_helm_repo_path" {
  type    = string
  default = "../../.."
}

variable "notebook_enable_culling" {
  type    = string
  default = false
}

variable "notebook_cull_idle_time" {
  type    = string
  default = 30
}

variable "notebook_idleness_check_period" {
  type    = string
  default = 5
}

variable "src_vpc_private_subnets" {
  type = list(any)
}

variable "src_vpc_public_subnets" {
  type = list(any)
}

variable "src_vpc_id" {
  type = string
}

variable "src_velero_bucket_name" {
  type = string
}

variable "src_vpc_cidr" {
  type = string
}

variable "src_efs_fs_id" {
  type = string
}

variable "src_cluster_sg_id" {
  type = string
}

variable "src_s3_secret_name" {
  type = string
}

variable "src_s3_bucket_name" {
  type = string
}

variable "src_rds_secret_name" {
  type = string
}

variable "src_rds_endpoint" {
  type = string
}

variable "stage" {
  type = string
}

variable "user_pool_id" {
  type    = string
  default = ""
}

variable "aws_route53_subdomain_zone_name" {
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

variable "load_balancer_scheme" {
  type    = string
  default = "internet-facing"
}

variable "certificate_arn" {
  type    = string
  default = ""
}

variable "use_alb_redirect" {
  type    = bool
  default = false
}

variable "redirect_alias" {
  type    = string
  default = "kflive"
}

variable "src_stage" {
  type    = string
  default = ""
}

variable "use_cloudwatch" {
  type    = bool
  default = false
}

variable "use_fluentbit" {
  type    = bool
  default = false
}

variable "use_prometheus" {
  type    = bool
  default = false
}

variable "cw_log_group_name" {
  type    = string
  default = "kubeflow"
}
