# The loader as a Cloud Run job: `run --once` loads what is pending and exits (0: all loaded,
# or another run holds the lease; 1: a load failed, retried once). One task, parallelism 1:
# one merge per table at a time (the lease enforces it too).
#
# Shutdown: a task past its timeout gets SIGTERM, then SIGKILL 10 s later. The loader stops
# starting jobs at SIGTERM and exits within EVENTKIT_SHUTDOWN_TIMEOUT (set to 8 s here, inside
# those 10 s); an abandoned load leaves no trace (rows and ledger commit together) and the next
# run does it again.
resource "google_cloud_run_v2_job" "loader" {
  project             = var.project_id
  name                = "${var.name}-loader"
  location            = var.region
  deletion_protection = false

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account = google_service_account.role["loader"].email
      timeout         = "${var.loader_task_timeout_seconds}s"
      max_retries     = 1

      containers {
        image = var.loader_image
        args  = ["run", "--once"]

        resources {
          limits = {
            cpu    = "1"
            memory = "1Gi"
          }
        }

        env {
          name  = "GCP_PROJECT_ID"
          value = var.project_id
        }
        env {
          name  = "GCP_GCS_BUCKET"
          value = google_storage_bucket.events.name
        }
        env {
          name  = "EVENTKIT_EVENT_STORE"
          value = "gcs"
        }
        env {
          name  = "EVENTKIT_WAREHOUSE"
          value = "bigquery"
        }
        env {
          name  = "GCP_BIGQUERY_DATASET"
          value = google_bigquery_dataset.events.dataset_id
        }
        env {
          name  = "GCP_BIGQUERY_LOCATION"
          value = google_bigquery_dataset.events.location
        }
        env {
          name  = "EVENTKIT_SHUTDOWN_TIMEOUT"
          value = "8"
        }
      }
    }
  }

  depends_on = [google_project_service.apis]
}

resource "google_cloud_scheduler_job" "loader" {
  project          = var.project_id
  name             = "${var.name}-loader"
  region           = var.region
  schedule         = var.loader_schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "60s"

  http_target {
    http_method = "POST"
    uri         = "https://run.googleapis.com/v2/projects/${var.project_id}/locations/${var.region}/jobs/${google_cloud_run_v2_job.loader.name}:run"

    oauth_token {
      service_account_email = google_service_account.role["scheduler"].email
    }
  }

  depends_on = [google_cloud_run_v2_job_iam_member.scheduler_invoker]
}
