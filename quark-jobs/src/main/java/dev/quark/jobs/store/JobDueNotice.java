package dev.quark.jobs.store;

import java.time.Instant;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * What a notifying store tells other nodes about a job it made waiting: its type, and when it is due if that is later
 * than now. Sent as text (a PostgreSQL notification's payload, a Redis message): {@code type} for a job due now, the
 * payload of earlier versions, and {@code type dueEpochMillis} (a space between) for a job due later (delayed, or
 * retried after a backoff), so that the workers that run the type wake when it comes due rather than at their next
 * poll. A job type holds no space ({@code JobTypeNames}), so both read back unambiguously; a node of an earlier
 * version reads the second as an unknown type and ignores it.
 *
 * @param type the job's type
 * @param dueAt when the job becomes due; {@code null} for a job due now
 */
public record JobDueNotice(String type, @Nullable Instant dueAt) {

    /**
     * Validates the notice.
     */
    public JobDueNotice {
        Objects.requireNonNull(type, "type must not be null");
    }

    /**
     * Returns the payload of a job due later.
     * @param type the job's type
     * @param dueAt when it becomes due
     * @return {@code type dueEpochMillis}, the milliseconds rounded up so that no worker wakes before it is due
     */
    public static String later(String type, Instant dueAt) {
        long millis = dueAt.toEpochMilli();
        long roundedUp = Instant.ofEpochMilli(millis).equals(dueAt) ? millis : millis + 1;
        return type + ' ' + roundedUp;
    }

    /**
     * Reads a payload: {@code type}, or {@code type dueEpochMillis}. A payload whose part after the space is not a
     * number is read as a type (which no worker runs), so a foreign payload on the channel wakes nobody.
     * @param payload the payload
     * @return the notice
     */
    public static JobDueNotice parse(String payload) {
        int space = payload.lastIndexOf(' ');
        if (space <= 0) {
            return new JobDueNotice(payload, null);
        }
        try {
            long millis = Long.parseLong(payload.substring(space + 1));
            return new JobDueNotice(payload.substring(0, space), Instant.ofEpochMilli(millis));
        }
        catch (NumberFormatException ex) {
            return new JobDueNotice(payload, null);
        }
    }
}
