export {
  ERROR_CODES,
  ERROR_STATUS,
  type ErrorBody,
  type ErrorCode,
  type ErrorStatus,
  errorBody,
  errorResponse,
  errorStatus,
  isErrorCode,
  RETRYABLE_ERROR_CODES,
} from './errors.ts';
