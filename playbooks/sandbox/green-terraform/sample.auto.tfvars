# What the operator writes for the green cluster before the upgrade, as the published procedure
# asks: its "Basic deployment information" (copied from production, with green's cluster name)
# and its "Additional upgrade information" (eks_version, use_alb_redirect, redirect_alias, stage,
# src_velero_bucket_name). tfvars-from-state then merges the production values (src_vpc_id and
# the others) into this file.
cluster_name                    = "kubeflow-green"
cluster_region                  = "us-west-2"
use_rds                         = true
use_s3                          = true
use_efs                         = true
use_fsx                         = false
aws_route53_subdomain_zone_name = "platform.example.com"
use_cognito                     = true
load_balancer_scheme            = "internet-facing"
eks_version                     = "1.29"
use_alb_redirect                = true
redirect_alias                  = "kflive"
stage                           = "green"
src_velero_bucket_name          = "kubeflow-velero-sandbox"
