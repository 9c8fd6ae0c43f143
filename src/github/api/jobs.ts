/**
 * The review job's name and payload: the contract between whoever asks for a review (the pull
 * request events, the `/empathy review` command) and the review feature that runs it, kept apart
 * so that asking for a review does not import the review.
 */
export const REVIEW_JOB = "review_pull_request";

export interface ReviewJobPayload {
  installationId: number;
  owner: string;
  repo: string;
  pullNumber: number;
  /** The head commit the event was about; a newer push has its own job. */
  headSha: string;
  deliveryId: string;
  action: string;
  /** `/empathy review`: review again even if this commit was reviewed. */
  force?: boolean;
}
