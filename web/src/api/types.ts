/**
 * Wire types of the API, taken from the server's schemas (types only: nothing of the server is
 * bundled). A field the server adds shows up here at compile time.
 */
import type { Static } from '@sinclair/typebox';
import type {
  ExecutionDetailSchema,
  ExecutionPageSchema,
  ExecutionSchema,
  ExecutionSummarySchema,
  LogPageSchema,
  ResourceSeriesSchema,
} from '../../../src/protocol/api-schemas.js';
import type { JobChange } from '../../../src/protocol/live-messages.js';
import type { RunSearchPageSchema } from '../../../src/protocol/run-search-schemas.js';
import type {
  DeliveryListSchema,
  FireListSchema,
  JobListSchema,
  JobSchema,
  SchedulePreviewSchema,
} from '../../../src/protocol/job-schemas.js';

export type Execution = Static<typeof ExecutionSchema>;
export type ExecutionDetail = Static<typeof ExecutionDetailSchema>;
export type ExecutionPage = Static<typeof ExecutionPageSchema>;
export type ExecutionSummary = Static<typeof ExecutionSummarySchema>;
export type Step = ExecutionDetail['steps'][number];
export type Artifact = ExecutionDetail['artifacts'][number];
export type Annotation = ExecutionDetail['annotations'][number];
export type LogPage = Static<typeof LogPageSchema>;
export type ResourceSample = Static<typeof ResourceSeriesSchema>['samples'][number];
export type ExecutionStatus = Execution['status'];
/** `GET /api/search`: runs whose log holds a text, with counts and excerpts. */
export type RunSearchPage = Static<typeof RunSearchPageSchema>;
export type RunSearchHit = RunSearchPage['items'][number];
export type RunSearchLine = RunSearchHit['lines'][number];

export type Job = Static<typeof JobSchema>;
export type JobListItem = Static<typeof JobListSchema>['items'][number];
/** What `GET /api/jobs?recentRuns=N` says of each recent run (enough for a sparkline). */
export type JobRunSummary = NonNullable<JobListItem['recentRuns']>[number];
export type JobTrigger = Job['triggers'][number];
export type OverlapPolicy = Job['overlap'];
export type MissedFirePolicy = Job['missedFire'];
export type WebhookEvent = Job['webhooks'][number]['events'][number];
export type FireRecord = Static<typeof FireListSchema>['items'][number];
export type FireOutcome = FireRecord['outcome'];
export type Delivery = Static<typeof DeliveryListSchema>['items'][number];
/** A retry waiting for its delay, as `GET /api/jobs/:id` lists it. */
export type PendingRetry = Job['pendingRetries'][number];
export type SchedulePreview = Static<typeof SchedulePreviewSchema>;

export type {
  ExecutionChange,
  JobChange,
  LiveLine,
  LiveServerMessage,
  LiveTopic,
} from '../../../src/protocol/live-messages.js';
/** Why the scheduler called a run late (the `late.warning` change). */
export type RunningLate = Extract<JobChange, { change: 'late.warning' }>['late'];
