import { Type, type Static } from '@sinclair/typebox';

/**
 * `GET /api/executions/:id/estimates`: how long this execution and its steps are expected to take,
 * from the newest succeeded execution with the same name created before it. The web UI draws
 * progress bars from it for steps without an `ESTIMATED_DURATION` of their own.
 */
export const ExecutionEstimatesSchema = Type.Object({
  basedOn: Type.Union([Type.String(), Type.Null()], {
    description: 'Id of the execution the estimates come from; null when there is none',
  }),
  totalMs: Type.Union([Type.Number(), Type.Null()], { description: "That execution's duration" }),
  steps: Type.Record(Type.String(), Type.Number(), {
    description: 'Step name → duration in ms there (the first step of that name, when several)',
  }),
});

export type ExecutionEstimatesBody = Static<typeof ExecutionEstimatesSchema>;
