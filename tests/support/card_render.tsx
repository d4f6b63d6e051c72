// Render the Leadflow card's view with HubSpot's test renderer for each document given, and print what it shows.
// Run by tests/integration/test_hubspot_card.py after tsc compiled it next to the card's sources:
//   node card_render.js <documents.json>  → one JSON line per document: texts, tags, buttons, selects, answers sent.
import React from "react";
import { readFileSync } from "node:fs";
import { createRenderer } from "@hubspot/ui-extensions/testing";
import { Button, EmptyState, Heading, Select, StatusTag, Text } from "@hubspot/ui-extensions";
import { CardView } from "./CardView.js";
import type { CardDocument } from "./document.js";

const documents = JSON.parse(readFileSync(process.argv[2], "utf-8")) as (CardDocument | null)[];
for (const document of documents) {
  const sent: unknown[] = [];
  const { render, findAll, maybeFind } = createRenderer("crm.record.tab");
  render(
    <CardView
      document={document}
      onAccept={() => sent.push({ answer: "accepted" })}
      onReject={(reason) => sent.push({ answer: "rejected", reason })}
    />,
  );
  const buttons = () => findAll(Button).map((b) => ({ text: b.text, disabled: Boolean(b.props.disabled) }));
  const shown = {
    heading: maybeFind(Heading)?.text ?? null,
    empty: maybeFind(EmptyState)?.props.title ?? null,
    texts: findAll(Text).map((t) => t.text),
    tags: findAll(StatusTag).map((t) => ({ text: t.text, variant: t.props.variant ?? null })),
    buttons: buttons(),
    reasons: findAll(Select).map((s) => s.props.options.map((o) => o.value)),
  };
  const accept = findAll(Button).find((b) => b.text === "Accept");
  accept?.trigger("onClick");
  const select = maybeFind(Select);
  const firstReason = select?.props.options[0]?.value;
  if (select && firstReason !== undefined) {
    select.trigger("onChange", firstReason as never); // the renderer passes the value to the handler
  }
  const reject = findAll(Button).find((b) => b.text === "Reject");
  reject?.trigger("onClick");
  console.log(JSON.stringify({ ...shown, after_reason: buttons(), sent }));
}
