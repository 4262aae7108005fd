output "topic" {
  description = "EVENTKIT_PUBSUB_TOPIC of the gateway and worker."
  value       = google_pubsub_topic.events.name
}

output "subscription" {
  description = "EVENTKIT_PUBSUB_SUBSCRIPTION of the worker (and the subscription_id of its autoscaler)."
  value       = google_pubsub_subscription.workers.name
}

output "dead_letter_topic" {
  value = google_pubsub_topic.dead_letter.name
}

output "bucket" {
  description = "GCP_GCS_BUCKET of the worker and loader."
  value       = google_storage_bucket.events.name
}

output "dataset" {
  description = "GCP_BIGQUERY_DATASET of the loader."
  value       = google_bigquery_dataset.events.dataset_id
}

output "service_accounts" {
  description = "Google service account per role: the iam.gke.io/gcp-service-account annotations of deploy/k8s."
  value       = { for role, sa in google_service_account.role : role => sa.email }
}

output "loader_job" {
  value = google_cloud_run_v2_job.loader.name
}
