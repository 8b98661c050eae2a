environment         = "staging"
region              = "eu-west-1"
vpc_cidr            = "10.41.0.0/16"
nat_per_az          = false
db_multi_az         = false
deletion_protection = false
log_retention_days  = 30
deployment_type     = "Canary10Percent5Minutes"
