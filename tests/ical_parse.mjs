// Parse iCalendar text from stdin with Mozilla's ical.js (the parser Thunderbird uses) and
// print JSON (a JSON list of texts gives a list): the method, and each event's UID, SEQUENCE,
// STATUS, RECURRENCE-ID and DTSTART/DTEND in UTC, plus the instances a calendar shows for each
// UID once its rule, EXDATEs and overrides are applied.
// VTIMEZONEs are registered first, so times resolve through the calendar's own zones.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");

const utc = (time) => new Date(time.toUnixTime() * 1000).toISOString();

function instances(components) {
  const masters = components.filter((c) => !c.hasProperty("recurrence-id"));
  const found = [];
  for (const component of masters) {
    const event = new ICAL.Event(component);
    for (const other of components) {
      if (other.hasProperty("recurrence-id") && other.getFirstPropertyValue("uid") === event.uid) {
        event.relateException(other);
      }
    }
    if (!event.isRecurring()) {
      found.push({ uid: event.uid, recurrence: utc(event.startDate), dtstart: utc(event.startDate), dtend: utc(event.endDate), summary: event.summary });
      continue;
    }
    const iterator = event.iterator();
    for (let next = iterator.next(); next; next = iterator.next()) {
      const details = event.getOccurrenceDetails(next);
      found.push({
        uid: event.uid,
        recurrence: utc(details.recurrenceId),
        dtstart: utc(details.startDate),
        dtend: utc(details.endDate),
        summary: details.item.summary,
      });
    }
  }
  return found;
}

function read(text) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
  }
  const components = calendar.getAllSubcomponents("vevent");
  const events = components.map((component) => {
    const event = new ICAL.Event(component);
    const recurrence = component.getFirstPropertyValue("recurrence-id");
    return {
      uid: event.uid,
      sequence: event.sequence,
      status: component.getFirstPropertyValue("status"),
      summary: event.summary,
      zone: event.startDate.zone ? event.startDate.zone.tzid : null,
      dtstart: utc(event.startDate),
      dtend: utc(event.endDate),
      recurrence: recurrence ? utc(recurrence) : null,
      attendees: component.getAllProperties("attendee").length,
    };
  });
  const result = { method: calendar.getFirstPropertyValue("method"), events, instances: instances(components) };
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.remove(zone.getFirstPropertyValue("tzid"));
  }
  return result;
}

// Several calendars at once (one Node start for many messages) come as a JSON list.
const result = text.startsWith("[") ? JSON.parse(text).map(read) : read(text);
process.stdout.write(JSON.stringify(result) + "\n");
