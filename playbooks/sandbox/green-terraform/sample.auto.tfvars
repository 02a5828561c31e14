# Basic deployment information for the green cluster (the procedure's "Configure backup EKS cluster")
cluster_name   = "kubeflow-green"
cluster_region = "us-west-2"
eks_version    = "1.29"
stage          = "green"
subdomain      = "platform.example.com"
use_rds        = true
use_s3         = true
use_efs        = true
use_fsx        = false
use_cognito    = true
