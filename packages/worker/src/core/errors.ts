// Errors a sink throws to tell the worker something other than "try again".
// EventsRejectedError lives in @eventkit/shared beside the EventSink port: the
// shared Parquet encoder throws it too.
export { EventsRejectedError } from '@eventkit/shared/ports';
