// What the Leadflow card shows of one contact (docs/contact-card.md, "What it shows, state by state"): a pure view
// of the endpoint's document, so HubSpot's test renderer can check every state without HubSpot.
import React, { useState } from "react";
import {
  Alert,
  Button,
  ButtonRow,
  Divider,
  EmptyState,
  Flex,
  Heading,
  List,
  LoadingSpinner,
  Select,
  StatusTag,
  Text,
} from "@hubspot/ui-extensions";
import type { CardDocument, CardHandover, SlaStatus } from "./document.js";

type Variant = "default" | "success" | "warning" | "danger" | "info";

const SLA_BADGES: Record<SlaStatus, [string, Variant]> = {
  on_track: ["On track", "info"],
  at_risk: ["Due soon", "warning"],
  breached: ["Overdue", "danger"],
  met: ["Answered in time", "success"],
  missed: ["Answered late", "danger"],
};

export interface CardViewProps {
  document: CardDocument | null; // null: Leadflow has not scored the contact (the endpoint's 404)
  loading?: boolean;
  sending?: boolean;
  message?: string | null; // the last answer's outcome, or an error the endpoint named
  onAccept?: () => void;
  onReject?: (reason: string | null) => void;
}

export function CardView(props: CardViewProps) {
  const { document, loading = false, message = null } = props;
  if (loading) {
    return <LoadingSpinner label="Reading Leadflow's view of this contact" />;
  }
  if (document === null) {
    return (
      <EmptyState title="Not scored yet" layout="vertical">
        <Text>Leadflow has not scored this contact yet.</Text>
      </EmptyState>
    );
  }
  const { scores } = document;
  return (
    <Flex direction="column" gap="sm">
      <Heading>{`Score ${scores.score} · grade ${scores.grade}`}</Heading>
      <Text>{scoreLine(document)}</Text>
      <StatusTag variant={stateVariant(document.state)}>{stateLabel(document)}</StatusTag>
      {document.nurture && document.nurture.track ? <Text>{nurtureLine(document)}</Text> : null}
      {document.handover ? <HandoverView handover={document.handover} /> : null}
      {document.last_answer && document.state !== "handed_over" ? <Text>{answerLine(document)}</Text> : null}
      <Divider />
      <Text format={{ fontWeight: "bold" }}>Why</Text>
      <List variant="unordered-styled">
        {scores.reason_list.map((reason) => (
          <Text key={reason}>{reason}</Text>
        ))}
      </List>
      {message ? <Alert title="Leadflow">{message}</Alert> : null}
      <Answers {...props} document={document} />
    </Flex>
  );
}

function HandoverView({ handover }: { handover: CardHandover }) {
  const owner = handover.owner_name ?? handover.owner_id ?? "nobody";
  const sla = handover.sla;
  return (
    <Flex direction="column" gap="xs">
      <Text>{`Handed over to ${owner} (${handover.stage.toUpperCase()}) ${when(handover.assigned_at)}`}</Text>
      {sla ? (
        <StatusTag variant={SLA_BADGES[sla.status][1]}>{`${SLA_BADGES[sla.status][0]} · due ${when(sla.due_at)}`}</StatusTag>
      ) : (
        <Text>{`Task due ${when(handover.task_due_at)}`}</Text>
      )}
      {handover.first_touch ? (
        <Text>{`First touch: ${handover.first_touch.kind ?? "touch"} ${when(handover.first_touch.at)}`}</Text>
      ) : null}
    </Flex>
  );
}

function Answers({ document, sending = false, onAccept, onReject }: CardViewProps & { document: CardDocument }) {
  const [reason, setReason] = useState<string | null>(null);
  const answers = document.answers;
  if (answers === null || !answers.enabled) {
    return null;
  }
  const options = answers.reject_reasons.map((option) => ({ label: option.label, value: option.value }));
  return (
    <Flex direction="column" gap="xs">
      {answers.reject ? (
        <Select
          label="Reason to reject"
          name="reason"
          options={options}
          value={reason ?? undefined}
          onChange={(value) => setReason(value === undefined ? null : String(value))}
        />
      ) : null}
      <ButtonRow>
        {answers.accept ? (
          <Button variant="primary" disabled={sending} onClick={() => onAccept?.()}>
            Accept
          </Button>
        ) : null}
        {answers.reject ? (
          <Button variant="destructive" disabled={sending || reason === null} onClick={() => onReject?.(reason)}>
            Reject
          </Button>
        ) : null}
      </ButtonRow>
    </Flex>
  );
}

export function scoreLine(document: CardDocument): string {
  const s = document.scores;
  const stage = s.stage ? s.stage.toUpperCase() : "no stage";
  return `fit ${s.fit} · engagement ${s.engagement} · stage ${stage} · model ${s.model}`;
}

function stateLabel(document: CardDocument): string {
  const labels: Record<CardDocument["state"], string> = {
    scored: "Scored",
    nurtured: "In nurture",
    handed_over: "With sales",
    accepted: "Accepted by sales",
    rejected: "Rejected by sales",
    recycled: "Recycled after rejection",
  };
  return labels[document.state];
}

function stateVariant(state: CardDocument["state"]): Variant {
  return state === "accepted" ? "success" : state === "rejected" ? "danger" : state === "handed_over" ? "warning" : "default";
}

function nurtureLine(document: CardDocument): string {
  const n = document.nurture!;
  const step = n.step ? `, next step ${n.step}` : "";
  const due = n.due_at ? `, due ${when(n.due_at)}` : "";
  return `Nurture: track ${n.track}${step}${due} (${n.state})`;
}

function answerLine(document: CardDocument): string {
  const a = document.last_answer!;
  const reason = a.reason ? `: ${a.reason}` : "";
  return `${a.outcome === "accepted" ? "Accepted" : "Rejected"}${reason} ${when(a.at)}`;
}

function when(iso: string | null): string {
  return iso ? `at ${iso.slice(0, 16).replace("T", " ")} UTC` : "";
}
