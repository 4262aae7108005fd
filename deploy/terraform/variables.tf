variable "project_id" {
  description = "Google Cloud project that runs eventkit."
  type        = string
}

variable "region" {
  description = "Region of the Cloud Run loader job, its scheduler and the GKE cluster (e.g. europe-west1)."
  type        = string
}

variable "location" {
  description = "Location of the bucket and the BigQuery dataset (a multi-region such as EU or US, or a region). The dataset must be able to load from the bucket: use the same value."
  type        = string
}

variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "eventkit"
}

variable "gke_namespace" {
  description = "Kubernetes namespace of the gateway and worker service accounts (deploy/k8s/overlays/prod)."
  type        = string
  default     = "eventkit"
}

variable "bucket_name" {
  description = "Bucket for event files and dead letters (GCP_GCS_BUCKET); default: <project>-<name>-events."
  type        = string
  default     = null
}

variable "dataset_id" {
  description = "BigQuery dataset of the events table (GCP_BIGQUERY_DATASET)."
  type        = string
  default     = "eventkit"
}

variable "message_retention_seconds" {
  description = "How long the subscription keeps unacked messages: the outage of the workers survived without loss (README: 7 days, Pub/Sub's maximum)."
  type        = number
  default     = 604800
}

variable "ack_deadline_seconds" {
  description = "The subscription's ack deadline: the subscriber's 20 s lease bound (packages/shared/src/adapters/pubsub/admin.ts)."
  type        = number
  default     = 20
}

variable "dead_letter_max_delivery_attempts" {
  description = "Deliveries before Pub/Sub moves a message to the dead-letter topic. Above the worker's own EVENTKIT_MAX_DELIVERY_ATTEMPTS (5), after which the worker keeps the message in its dead-letter store: Pub/Sub's dead-letter topic is the backstop for a message that kills the worker."
  type        = number
  default     = 10
}

variable "event_file_retention_days" {
  description = "Days the bucket keeps event files and dead letters. Above the dedup window (7 days) plus the look-back, and long enough for a loader outage to be noticed and fixed (README: 30)."
  type        = number
  default     = 30
}

variable "loader_image" {
  description = "Image of the loader (make images; pushed to Artifact Registry), e.g. europe-west1-docker.pkg.dev/PROJECT/eventkit/eventkit-loader:0.1.0."
  type        = string
}

variable "loader_schedule" {
  description = "Cloud Scheduler cron of the loader job. One merge per run: every 5 minutes is 288 of BigQuery's 1,500 table modifications a day."
  type        = string
  default     = "*/5 * * * *"
}

variable "loader_task_timeout_seconds" {
  description = "Cloud Run task timeout of the loader: above its longest run. A run that overlaps the next finds the lease held and exits 0."
  type        = number
  default     = 1800
}

variable "enable_firestore" {
  description = "Create the Firestore index exemptions (EVENTKIT_EVENT_STORE=firestore) and grant the worker datastore.user."
  type        = bool
  default     = false
}
