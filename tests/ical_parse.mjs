// Parse iCalendar text from stdin with Mozilla's ical.js (the parser Thunderbird uses) and
// print JSON (a JSON list of texts gives a list): the method, and each event's UID, SEQUENCE, STATUS and DTSTART/DTEND in UTC.
// VTIMEZONEs are registered first, so times resolve through the calendar's own zones.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");

function read(text) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
  }
  const utc = (time) => new Date(time.toUnixTime() * 1000).toISOString();
  const events = calendar.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    return {
      uid: event.uid,
      sequence: event.sequence,
      status: component.getFirstPropertyValue("status"),
      summary: event.summary,
      zone: event.startDate.zone ? event.startDate.zone.tzid : null,
      dtstart: utc(event.startDate),
      dtend: utc(event.endDate),
      attendees: component.getAllProperties("attendee").length,
    };
  });
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.remove(zone.getFirstPropertyValue("tzid"));
  }
  return { method: calendar.getFirstPropertyValue("method"), events };
}

// Several calendars at once (one Node start for many messages) come as a JSON list.
const result = text.startsWith("[") ? JSON.parse(text).map(read) : read(text);
process.stdout.write(JSON.stringify(result) + "\n");
