# A stand-in for the green deployment's Terraform (deployments/upgrade/terraform on the blue/green
# branch of the Kubeflow on AWS manifests) for rehearsals in the kfup sandbox, where green already
# exists. Its interface is the real one: variables.tf declares exactly the real variables (same
# names, types and defaults; test/sandbox/terraform-stand-in.test.ts compares them with
# ../shared/fixtures/kubeflow-manifests/upgrade-terraform/variables.tf) and outputs.tf the real
# outputs, so Terraform itself refuses a missing or undeclared value as it would for the real one.
# The four modules carry the names the real Makefile targets (make deploy runs
# `terraform apply -target=module.<name>` for each), but each is a local terraform_data stage:
# no provider download, nothing created outside this directory.
terraform {
  required_version = ">= 1.4"
}

locals {
  region          = var.cluster_region
  # as the real cognito-ingress module names it (its kubeflow_platform_domain output)
  platform_domain = "kubeflow-${var.stage}.${var.aws_route53_subdomain_zone_name}"
  node_group      = "${var.cluster_name}-managed-ondemand"
  node_groups     = var.node_instance_type_gpu == null ? [local.node_group] : [local.node_group, "${var.cluster_name}-managed-ondemand-gpu"]
}

module "eks_blueprints" {
  source = "./stage"
  input = {
    cluster_name    = var.cluster_name
    region          = local.region
    version         = var.eks_version
    vpc_id          = var.src_vpc_id
    vpc_cidr        = var.src_vpc_cidr
    private_subnets = var.src_vpc_private_subnets
    public_subnets  = var.src_vpc_public_subnets
    cluster_sg_id   = var.src_cluster_sg_id
    instance_type   = var.node_instance_type
    gpu_type        = var.node_instance_type_gpu
    node_groups     = local.node_groups
  }
}

module "eks_blueprints_kubernetes_addons" {
  source = "./stage"
  input = {
    cluster       = module.eks_blueprints.value.cluster_name
    velero        = var.using_velero
    velero_bucket = var.src_velero_bucket_name
    efs           = var.use_efs ? var.src_efs_fs_id : null
    fsx           = var.use_fsx
    cloudwatch    = var.use_cloudwatch ? var.cw_log_group_name : null
    fluentbit     = var.use_fluentbit
    prometheus    = var.use_prometheus
  }
}

module "kubeflow_components" {
  source = "./stage"
  input = {
    cluster            = module.eks_blueprints.value.cluster_name
    addons             = module.eks_blueprints_kubernetes_addons.value.cluster
    platform_domain    = local.platform_domain
    s3_bucket          = var.use_s3 ? var.src_s3_bucket_name : null
    s3_secret          = var.use_s3 ? var.src_s3_secret_name : null
    rds_secret         = var.use_rds ? var.src_rds_secret_name : null
    mlmdb_name         = var.mlmdb_name
    minio_service_host = var.minio_service_host
    user_pool          = var.use_cognito ? var.user_pool_id : null
    user_pool_arn      = var.use_cognito ? var.cognito_user_pool_arn : null
    user_pool_domain   = var.use_cognito ? var.cognito_user_pool_domain : null
    certificate        = var.certificate_arn
    load_balancer      = var.load_balancer_scheme
    telemetry          = var.enable_aws_telemetry
    notebook_culling   = var.notebook_enable_culling
  }
}

module "alb_redirection" {
  source = "./stage"
  count  = var.use_alb_redirect ? 1 : 0
  input = {
    alias     = "${var.redirect_alias}.${var.aws_route53_subdomain_zone_name}"
    target    = local.platform_domain
    src_stage = var.src_stage
  }
}
