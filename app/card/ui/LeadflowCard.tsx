// The Leadflow contact card (docs/contact-card.md): reads the contact's card from Leadflow with hubspot.fetch, which
// HubSpot signs, and sends sales' answer the same way. LEADFLOW_URL is PUBLIC_URL (`leadflow app build` writes it).
import React, { useCallback, useEffect, useState } from "react";
import { hubspot } from "@hubspot/ui-extensions";
import { CardView } from "./CardView.js";
import type { CardDocument } from "./document.js";
import { LEADFLOW_URL } from "./leadflow.js";

hubspot.extend<"crm.record.tab">(({ context }) => <LeadflowCard contactId={String(context.crm.objectId)} />);

const RECORDED_AFTER_MS = 4000; // a drain normally records the answer within seconds

export function LeadflowCard({ contactId }: { contactId: string }) {
  const [document, setDocument] = useState<CardDocument | null>(null);
  const [loading, setLoading] = useState(true);
  const [sending, setSending] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const url = `${LEADFLOW_URL}/card/contacts/${encodeURIComponent(contactId)}`;

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const response = await hubspot.fetch(url, { method: "GET" });
      if (response.status === 404) {
        setDocument(null);
      } else if (response.ok) {
        setDocument((await response.json()) as CardDocument);
      } else {
        setMessage(await problem(response));
      }
    } catch {
      setMessage("Leadflow could not be reached; try again in a moment.");
    } finally {
      setLoading(false);
    }
  }, [url]);

  useEffect(() => {
    void load();
  }, [load]);

  const answer = async (body: { answer: string; reason?: string }) => {
    setSending(true);
    try {
      const response = await hubspot.fetch(`${url}/answer`, { method: "POST", body });
      setMessage(response.status === 202 ? "Answer sent — Leadflow records it in a moment." : await problem(response));
      setTimeout(() => void load(), RECORDED_AFTER_MS);
    } catch {
      setMessage("Leadflow could not be reached; the answer was not sent.");
    } finally {
      setSending(false);
    }
  };

  return (
    <CardView
      document={document}
      loading={loading && document === null && message === null}
      sending={sending}
      message={message}
      onAccept={() => void answer({ answer: "accepted" })}
      onReject={(reason) => void answer(reason ? { answer: "rejected", reason } : { answer: "rejected" })}
    />
  );
}

async function problem(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { message?: string };
    return body.message ?? `Leadflow answered ${response.status}.`;
  } catch {
    return `Leadflow answered ${response.status}.`;
  }
}
