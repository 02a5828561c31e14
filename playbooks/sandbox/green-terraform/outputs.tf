# The real deployment's outputs (outputs.tf beside the real variables.tf), with the stand-in's
# values: the same names, so `terraform output -raw kubelow_platform_domain` and the others
# answer as they do after a real `make deploy`.
output "eks_cluster_id" {
  value = module.eks_blueprints.value.cluster_name
}

output "eks_managed_nodegroups" {
  value = { for g in module.eks_blueprints.value.node_groups : g => { node_group_name = g, instance_types = [module.eks_blueprints.value.instance_type] } }
}

output "eks_managed_nodegroup_ids" {
  value = [for g in module.eks_blueprints.value.node_groups : "${var.cluster_name}:${g}"]
}

output "eks_managed_nodegroup_arns" {
  value = [for g in module.eks_blueprints.value.node_groups : "arn:aws:eks:${local.region}:123456789012:nodegroup/${var.cluster_name}/${g}"]
}

output "eks_managed_nodegroup_role_name" {
  value = ["${var.cluster_name}-managed-ondemand"]
}

output "eks_managed_nodegroup_status" {
  value = [for g in module.eks_blueprints.value.node_groups : "ACTIVE"]
}

# from the EKS stage, as the real one (module.eks_blueprints.configure_kubectl): known once that
# stage is applied, which the Makefile's `terraform output -raw configure_kubectl | bash` relies on
output "configure_kubectl" {
  value = "aws eks --region ${module.eks_blueprints.value.region} update-kubeconfig --name ${module.eks_blueprints.value.cluster_name}"
}

output "region" {
  value = local.region
}

# the endpoint is kept out of Terraform's own console output in the sandbox (kfup's secret tests
# plant a marker in it); the real module's output carries the same value
output "rds_endpoint" {
  value     = var.use_rds ? var.src_rds_endpoint : null
  sensitive = true
}

output "s3_bucket_name" {
  value = var.use_s3 ? var.src_s3_bucket_name : null
}

# "kubelow" is the real deployment's spelling
output "kubelow_platform_domain" {
  value = module.kubeflow_components.value.platform_domain
}

output "kubelow_alias" {
  value = "${var.redirect_alias}.${var.aws_route53_subdomain_zone_name}"
}
