package dev.quark.jobs.store;

import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's own timeout as the Redis and PostgreSQL stores keep it: milliseconds, nothing when the job has none (also
 * for jobs stored before jobs had one), read leniently: it is read on the claim and list paths, where an exception
 * would block the whole queue on every poll, so a value that is not a positive number (written by hand or by another
 * tool) is logged at WARN, naming the job, and read as none: the handler's timeout applies.
 */
public final class StoredTimeout {

    private static final Logger logger = LoggerFactory.getLogger(StoredTimeout.class);

    private StoredTimeout() {
    }

    /**
     * Reads a timeout kept as a number.
     * @param millis the milliseconds, or {@code null} for none
     * @param job the job's id, for the log
     * @return the timeout, or {@code null}; never throws
     */
    public static @Nullable Duration read(@Nullable Long millis, Object job) {
        if (millis == null) {
            return null;
        }
        if (millis <= 0) {
            logger.warn("The stored timeout of job {} is not positive, {} ms; its handler's applies", job, millis);
            return null;
        }
        return Duration.ofMillis(millis);
    }

    /**
     * Reads a timeout kept as text.
     * @param text the milliseconds, or {@code null} or empty for none
     * @param job the job's id, for the log
     * @return the timeout, or {@code null}; never throws
     */
    public static @Nullable Duration read(@Nullable String text, Object job) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            return read(Long.parseLong(text), job);
        }
        catch (NumberFormatException ex) {
            logger.warn("The stored timeout of job {} is not a number of milliseconds, '{}'; its handler's applies",
                    job, (text.length() <= 40) ? text : text.substring(0, 40) + "...");
            return null;
        }
    }
}
