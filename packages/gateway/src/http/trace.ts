// Cloud Logging's trace fields from the request's trace context, so every log line of a request
// links to its trace in Cloud Trace (Google's load balancer adds the headers):
//   traceparent: 00-<32 hex trace id>-<16 hex span id>-<flags>  (W3C)
//   X-Cloud-Trace-Context: <32 hex trace id>/<decimal span id>;o=<0|1>
// Only with a project id (the trace field names the project); nothing from a malformed header.
// https://cloud.google.com/logging/docs/structured-logging#special-payload-fields
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const CLOUD_TRACE = /^([0-9a-f]{32})\/(\d{1,20})(?:;o=([01]))?$/;

export function traceFields(
  traceparent: string | undefined,
  cloudTraceContext: string | undefined,
  projectId: string | undefined,
): Record<string, string | boolean> {
  if (!projectId) return {};
  const w3c = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  if (w3c && !/^0+$/.test(w3c[1]!)) {
    return fields(projectId, w3c[1]!, w3c[2]!, (Number.parseInt(w3c[3]!, 16) & 1) === 1);
  }
  const gcp = cloudTraceContext ? CLOUD_TRACE.exec(cloudTraceContext.trim().toLowerCase()) : null;
  if (gcp) {
    // The span id is decimal here and hex in the log field.
    const span = BigInt(gcp[2]!).toString(16).padStart(16, '0');
    return fields(projectId, gcp[1]!, span, gcp[3] === '1');
  }
  return {};
}

function fields(projectId: string, trace: string, span: string, sampled: boolean) {
  return {
    'logging.googleapis.com/trace': `projects/${projectId}/traces/${trace}`,
    'logging.googleapis.com/spanId': span,
    'logging.googleapis.com/trace_sampled': sampled,
  };
}
