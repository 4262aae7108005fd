// Named query parameters in BigQuery's wire form, built here rather than by the
// client's type inference so that every request states its types exactly.
export interface QueryParameter {
  name: string;
  parameterType: ParameterType;
  parameterValue: ParameterValue;
}

interface ParameterType {
  type: string;
  arrayType?: ParameterType;
  structTypes?: { name: string; type: ParameterType }[];
}

interface ParameterValue {
  value?: string | null;
  arrayValues?: ParameterValue[];
  structValues?: Record<string, ParameterValue>;
}

export const stringParam = (name: string, value: string): QueryParameter => ({
  name,
  parameterType: { type: 'STRING' },
  parameterValue: { value },
});

export const timestampParam = (name: string, value: Date | undefined): QueryParameter => ({
  name,
  parameterType: { type: 'TIMESTAMP' },
  parameterValue: { value: value ? value.toISOString() : null },
});

export const stringArrayParam = (name: string, values: readonly string[]): QueryParameter => ({
  name,
  parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
  parameterValue: { arrayValues: values.map((value) => ({ value })) },
});

/** ARRAY<STRUCT<key STRING, row_count INT64>>: the ledger rows of a job. */
export const ledgerRowsParam = (
  name: string,
  rows: readonly { key: string; rowCount: number }[],
): QueryParameter => ({
  name,
  parameterType: {
    type: 'ARRAY',
    arrayType: {
      type: 'STRUCT',
      structTypes: [
        { name: 'key', type: { type: 'STRING' } },
        { name: 'row_count', type: { type: 'INT64' } },
      ],
    },
  },
  parameterValue: {
    arrayValues: rows.map((r) => ({
      structValues: { key: { value: r.key }, row_count: { value: String(r.rowCount) } },
    })),
  },
});
