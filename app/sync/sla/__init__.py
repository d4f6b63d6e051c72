"""The SLA capability's shell: the watch (a clock job) that fires reminders, escalations and reassignments once
each, and writes the SLA properties to the contacts."""
