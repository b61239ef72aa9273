import { type ControlContext, decodeToken, encodeToken, principal } from '../kernel/context.js';
import { ValidationException } from '../kernel/errors.js';
import { COLLECTIONS, type Timestamp } from '../kernel/records.js';
import type { StoreWrite } from '../kernel/store.js';

export type ApprovalStatus = 'Approved' | 'Rejected' | 'PendingManualApproval';

export interface ModelLifeCycle {
  Stage: string;
  StageStatus: string;
  StageDescription?: string;
}

/** What the history compares before and after a change. */
export interface PackageState {
  ModelApprovalStatus?: ApprovalStatus;
  ModelLifeCycle?: ModelLifeCycle;
}

/**
 * One entry of a model package's audit history: who (the signing access key and its role),
 * when, what it was, what it became and why. Entries are only ever created, in the same
 * transaction as the change they record.
 */
export interface PackageHistoryEntry {
  ModelPackageArn: string;
  ModelPackageGroupName: string;
  ModelPackageVersion: number;
  Sequence: number;
  Time: Timestamp;
  Principal: { AccessKeyId: string; Role: string };
  Action: 'Created' | 'Updated' | 'Deleted';
  /** Fields the change set (Created: those given; Deleted: none). */
  ChangedFields: string[];
  From?: PackageState;
  To?: PackageState;
  /** Why: the ApprovalDescription, the StageDescription, or the reason given for a forced change. */
  Reason?: string;
  /** Endpoints that were served by the package when a forced reject or delete went through. */
  ForcedOverEndpoints?: string[];
}

const SEQUENCE_WIDTH = 6;

/** ARNs name groups in lower case: history keys do too, so they outlive the group record. */
export function historyPrefix(group: string, version: number): string {
  return `${group.toLowerCase()}/${String(version).padStart(10, '0')}#`;
}

/** The write that appends entry `sequence` (a create: two writers can never both append it). */
export function appendHistory(
  ctx: ControlContext,
  pkg: { ModelPackageArn: string; ModelPackageGroupName: string; ModelPackageVersion: number },
  sequence: number,
  change: Pick<
    PackageHistoryEntry,
    'Time' | 'Action' | 'ChangedFields' | 'From' | 'To' | 'Reason' | 'ForcedOverEndpoints'
  >,
): StoreWrite {
  const entry: PackageHistoryEntry = {
    ModelPackageArn: pkg.ModelPackageArn,
    ModelPackageGroupName: pkg.ModelPackageGroupName,
    ModelPackageVersion: pkg.ModelPackageVersion,
    Sequence: sequence,
    Principal: principal(ctx),
    ...change,
  };
  return {
    kind: 'create',
    collection: COLLECTIONS.modelPackageHistory,
    id: `${historyPrefix(pkg.ModelPackageGroupName, pkg.ModelPackageVersion)}${String(sequence).padStart(SEQUENCE_WIDTH, '0')}`,
    data: entry,
  };
}

const ALLOWED: Record<ApprovalStatus, readonly ApprovalStatus[]> = {
  PendingManualApproval: ['Approved', 'Rejected'],
  Approved: ['Rejected'],
  Rejected: ['Approved'],
};

/**
 * SageMaker's approval moves: a pending package is approved or rejected, and an approved one
 * can be rejected and approved again; none goes back to PendingManualApproval. Setting the
 * status a package already has is no move (it may change the description).
 */
export function checkApprovalMove(from: ApprovalStatus, to: ApprovalStatus, arn: string): void {
  if (from === to || ALLOWED[from].includes(to)) return;
  throw new ValidationException(
    `Model package ${arn} cannot go from ${from} to ${to}: ${from} may only become ${ALLOWED[from].join(' or ')}.`,
  );
}

const VERSIONED_ARN =
  /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]{9,16}:[0-9]{12}:model-package\/([a-z0-9-]{1,63})\/(\d+)$/;

/** `Understudy.ListModelPackageHistory`: a package's audit history, oldest first by default. */
export async function listModelPackageHistory(
  ctx: ControlContext,
  input: {
    ModelPackageArn: string;
    SortOrder?: 'Ascending' | 'Descending';
    MaxResults?: number;
    NextToken?: string;
  },
) {
  const match = VERSIONED_ARN.exec(input.ModelPackageArn);
  if (!match) {
    throw new ValidationException(
      `ModelPackageArn '${input.ModelPackageArn}' is not a versioned model package ARN (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>).`,
    );
  }
  const entries = await ctx.store.list<PackageHistoryEntry>(
    COLLECTIONS.modelPackageHistory,
    historyPrefix(match[1] as string, Number(match[2])),
  );
  if (entries.length === 0)
    throw new ValidationException(`ModelPackage ${input.ModelPackageArn} does not exist.`);
  if (input.SortOrder === 'Descending') entries.reverse();
  const start = decodeToken(input.NextToken);
  const size = input.MaxResults ?? 50;
  const next = start + size < entries.length ? encodeToken(start + size) : undefined;
  return { ModelPackageHistory: entries.slice(start, start + size), ...(next ? { NextToken: next } : {}) };
}
