# One Google service account per role, each with only what its code calls:
#   gateway  publishes to the topic (EVENTKIT_PUBSUB_CREATE=false: no topic admin)
#   worker   consumes the subscription; creates objects and lists the bucket (its readiness
#            check lists one object); Firestore documents when enable_firestore
#   loader   reads and lists objects; writes and deletes only its lease and quarantine records
#            under _eventkit/; runs BigQuery jobs and edits the dataset's tables
# The gateway and worker accounts are used by Kubernetes service accounts through Workload
# Identity; the loader account is the Cloud Run job's identity.

resource "google_service_account" "role" {
  for_each     = toset(["gateway", "worker", "loader", "scheduler"])
  project      = var.project_id
  account_id   = "${var.name}-${each.key}"
  display_name = "eventkit ${each.key}"
  depends_on   = [google_project_service.apis]
}

# Workload Identity: KSA <namespace>/eventkit-<role> (deploy/k8s/base/*-serviceaccount.yaml).
resource "google_service_account_iam_member" "workload_identity" {
  for_each           = toset(["gateway", "worker"])
  service_account_id = google_service_account.role[each.key].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${local.wi}[${var.gke_namespace}/eventkit-${each.key}]"
}

# ── gateway ───────────────────────────────────────────────────────────────────

resource "google_pubsub_topic_iam_member" "gateway_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.events.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.role["gateway"].member
}

# ── worker ────────────────────────────────────────────────────────────────────

resource "google_pubsub_subscription_iam_member" "worker_subscriber" {
  project      = var.project_id
  subscription = google_pubsub_subscription.workers.name
  role         = "roles/pubsub.subscriber"
  member       = google_service_account.role["worker"].member
}

resource "google_storage_bucket_iam_member" "worker_object_creator" {
  bucket = google_storage_bucket.events.name
  role   = "roles/storage.objectCreator"
  member = google_service_account.role["worker"].member
}

resource "google_storage_bucket_iam_member" "worker_object_viewer" {
  bucket = google_storage_bucket.events.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.role["worker"].member
}

# Firestore has no per-collection IAM: datastore.user on the project.
resource "google_project_iam_member" "worker_firestore" {
  count   = var.enable_firestore ? 1 : 0
  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.role["worker"].member
}

# ── loader ────────────────────────────────────────────────────────────────────

resource "google_storage_bucket_iam_member" "loader_object_viewer" {
  bucket = google_storage_bucket.events.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.role["loader"].member
}

# The lease ({prefix}_eventkit/loader-{dataset}.{table}.lease) and quarantine records.
resource "google_storage_bucket_iam_member" "loader_state" {
  bucket = google_storage_bucket.events.name
  role   = "roles/storage.objectUser"
  member = google_service_account.role["loader"].member
  condition {
    title       = "eventkit-loader-state"
    description = "Only the loader's own records under _eventkit/"
    expression  = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.events.name}/objects/_eventkit/\")"
  }
}

resource "google_project_iam_member" "loader_job_user" {
  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = google_service_account.role["loader"].member
}

resource "google_bigquery_dataset_iam_member" "loader_data_editor" {
  project    = var.project_id
  dataset_id = google_bigquery_dataset.events.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = google_service_account.role["loader"].member
}

# ── scheduler ─────────────────────────────────────────────────────────────────

resource "google_cloud_run_v2_job_iam_member" "scheduler_invoker" {
  project  = var.project_id
  location = google_cloud_run_v2_job.loader.location
  name     = google_cloud_run_v2_job.loader.name
  role     = "roles/run.invoker"
  member   = google_service_account.role["scheduler"].member
}
