// The JSON `GET /card/contacts/<id>` answers (docs/contact-card.md, "The contract"): every key is always present.

export type CardState = "scored" | "nurtured" | "handed_over" | "accepted" | "rejected" | "recycled";
export type SlaStatus = "on_track" | "at_risk" | "breached" | "met" | "missed";

export interface CardScores {
  fit: number;
  engagement: number;
  score: number;
  grade: string;
  stage: string | null;
  model: string;
  cycle: number;
  assessed_at: string | null;
  reasons: string;
  reason_list: string[];
}

export interface CardNurture {
  state: string;
  track: string | null;
  step: string | null;
  due_at: string | null;
}

export interface CardSla {
  target: string;
  status: SlaStatus;
  due_at: string | null;
  business_minutes: number | null;
}

export interface CardHandover {
  key: string;
  stage: string;
  cycle: number;
  owner_id: string | null;
  owner_name: string | null;
  assigned_at: string | null;
  task_due_at: string | null;
  sla: CardSla | null;
  first_touch: { at: string | null; kind: string | null; by: string | null } | null;
  lead_id: string | null;
}

export interface CardAnswer {
  outcome: string | null;
  reason: string | null;
  at: string | null;
  stage: string;
  cycle: number;
}

export interface CardAnswers {
  enabled: boolean;
  accept: boolean;
  reject: boolean;
  reject_reasons: { value: string; label: string }[];
}

export interface CardDocument {
  contact_id: string;
  state: CardState;
  as_of: string;
  scores: CardScores;
  nurture: CardNurture | null;
  handover: CardHandover | null;
  last_answer: CardAnswer | null;
  answers: CardAnswers | null;
}
