# The loader runs as a Cloud Run job and cannot be scraped. Its run summary log lines
# (JSON: message load_run_finished / load_run_failed with files, rows_inserted,
# duration_ms; packages/loader/src/core/loader.ts) become logs-based metrics, which Managed
# Prometheus queries as logging_googleapis_com:user_<name> (deploy/monitoring/rules.yaml,
# grafana-dashboard.json). Cloud Run's own run.googleapis.com/job/completed_execution_count
# tells whether executions succeed.

locals {
  loader_logs = "resource.type=\"cloud_run_job\" AND resource.labels.job_name=\"${google_cloud_run_v2_job.loader.name}\""
}

resource "google_logging_metric" "loader_run_failed" {
  project = var.project_id
  name    = "eventkit_loader_run_failed"
  filter  = "${local.loader_logs} AND jsonPayload.message=\"load_run_failed\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

resource "google_logging_metric" "loader_rows_inserted" {
  project         = var.project_id
  name            = "eventkit_loader_rows_inserted"
  filter          = "${local.loader_logs} AND jsonPayload.message=\"load_run_finished\""
  value_extractor = "EXTRACT(jsonPayload.rows_inserted)"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = "1"
  }
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 20
      growth_factor      = 4
      scale              = 1
    }
  }
}

resource "google_logging_metric" "loader_run_duration_ms" {
  project         = var.project_id
  name            = "eventkit_loader_run_duration_ms"
  filter          = "${local.loader_logs} AND jsonPayload.message=\"load_run_finished\""
  value_extractor = "EXTRACT(jsonPayload.duration_ms)"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = "ms"
  }
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 20
      growth_factor      = 2
      scale              = 100
    }
  }
}
