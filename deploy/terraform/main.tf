# eventkit's Google Cloud resources: Pub/Sub, the bucket, the dataset, one service account
# per role (least privilege, bound to the Kubernetes service accounts by Workload Identity),
# the loader as a Cloud Run job on a schedule, Firestore index exemptions, and the loader's
# logs-based metrics (monitoring.tf).

locals {
  bucket = coalesce(var.bucket_name, "${var.project_id}-${var.name}-events")
  wi     = "${var.project_id}.svc.id.goog"
  firestore_exemptions = {
    for f in jsondecode(file("${path.module}/../firestore/firestore.indexes.json")).fieldOverrides :
    "${f.collectionGroup}.${f.fieldPath}" => f
  }
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "apis" {
  for_each = toset([
    "pubsub.googleapis.com",
    "storage.googleapis.com",
    "bigquery.googleapis.com",
    "run.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "container.googleapis.com",
    "iam.googleapis.com",
  ])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

# ── Pub/Sub ───────────────────────────────────────────────────────────────────

resource "google_pubsub_topic" "events" {
  project                    = var.project_id
  name                       = "${var.name}-events"
  message_retention_duration = "${var.message_retention_seconds}s"
  depends_on                 = [google_project_service.apis]
}

resource "google_pubsub_topic" "dead_letter" {
  project    = var.project_id
  name       = "${var.name}-events-dead-letter"
  depends_on = [google_project_service.apis]
}

resource "google_pubsub_subscription" "workers" {
  project                    = var.project_id
  name                       = "${var.name}-workers"
  topic                      = google_pubsub_topic.events.id
  ack_deadline_seconds       = var.ack_deadline_seconds
  message_retention_duration = "${var.message_retention_seconds}s"
  retain_acked_messages      = false

  expiration_policy {
    ttl = "" # never expires, however long the workers are down
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.dead_letter_max_delivery_attempts
  }
}

# Keeps what lands on the dead-letter topic (a topic alone keeps nothing).
resource "google_pubsub_subscription" "dead_letter" {
  project                    = var.project_id
  name                       = "${var.name}-events-dead-letter"
  topic                      = google_pubsub_topic.dead_letter.id
  message_retention_duration = "${var.message_retention_seconds}s"

  expiration_policy {
    ttl = ""
  }
}

# Pub/Sub's service agent forwards undeliverable messages: it must publish to the
# dead-letter topic and acknowledge on the source subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  project      = var.project_id
  subscription = google_pubsub_subscription.workers.name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

# ── GCS ───────────────────────────────────────────────────────────────────────

resource "google_storage_bucket" "events" {
  project                     = var.project_id
  name                        = local.bucket
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  # Event files and dead letters: deleted after event_file_retention_days (the loader
  # deletes nothing in a bucket). The loader's lease and quarantine records (_eventkit/)
  # are left alone.
  lifecycle_rule {
    condition {
      age            = var.event_file_retention_days
      matches_prefix = ["events/", "errors/"]
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  depends_on = [google_project_service.apis]
}

# ── BigQuery ──────────────────────────────────────────────────────────────────

resource "google_bigquery_dataset" "events" {
  project                    = var.project_id
  dataset_id                 = var.dataset_id
  location                   = var.location
  description                = "eventkit: raw_events and raw_events_errors, created by the loader."
  delete_contents_on_destroy = false
  depends_on                 = [google_project_service.apis]
}

# ── Firestore (EVENTKIT_EVENT_STORE=firestore only) ───────────────────────────

# Single-field index exemptions of deploy/firestore/firestore.indexes.json: the documents are
# written, never queried by these fields, and indexing them costs writes (and a monotonic
# field such as received_at would hot-spot the index).
resource "google_firestore_field" "exemptions" {
  for_each   = var.enable_firestore ? local.firestore_exemptions : {}
  project    = var.project_id
  database   = "(default)"
  collection = each.value.collectionGroup
  field      = each.value.fieldPath

  index_config {}
  depends_on = [google_project_service.apis]
}
