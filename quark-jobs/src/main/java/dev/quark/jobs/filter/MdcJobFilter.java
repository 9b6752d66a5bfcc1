package dev.quark.jobs.filter;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobDraft;
import dev.quark.jobs.JobFilter;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * Carries chosen MDC entries from the thread that enqueues a job to the worker threads that run it: at enqueue it
 * stores each key's value (when the MDC holds one) in the job's metadata as {@code mdc.<key>}; around every attempt
 * it puts them back in the worker thread's MDC, and afterwards restores what the MDC held before (nothing, on a
 * worker's own thread). Only the configured keys are restored, whatever a job's metadata holds.
 * <p>
 * Under Spring Boot it is a bean when {@code quark.jobs.context.mdc-keys} names keys.
 */
public final class MdcJobFilter implements JobFilter {

    /** The prefix of the metadata keys this filter writes. */
    public static final String METADATA_PREFIX = "mdc.";

    private final List<String> keys;

    /**
     * Creates the filter.
     * @param keys the MDC keys to carry; not blank, at most {@value JobDraft#MAX_METADATA_KEY_LENGTH} characters with
     * the prefix
     * @throws IllegalArgumentException naming a key that is blank or too long
     */
    public MdcJobFilter(List<String> keys) {
        Objects.requireNonNull(keys, "keys must not be null");
        for (String key : keys) {
            Objects.requireNonNull(key, "keys must not contain null");
            if (key.isBlank() || METADATA_PREFIX.length() + key.length() > JobDraft.MAX_METADATA_KEY_LENGTH) {
                throw new IllegalArgumentException("An MDC key to carry with jobs must not be blank and have at most "
                        + (JobDraft.MAX_METADATA_KEY_LENGTH - METADATA_PREFIX.length()) + " characters, was '" + key
                        + "'");
            }
        }
        this.keys = keys.stream().distinct().toList();
    }

    /**
     * Returns the keys this filter carries.
     * @return the keys
     */
    public List<String> keys() {
        return this.keys;
    }

    @Override
    public void beforeEnqueue(JobDraft job) {
        for (String key : this.keys) {
            String value = MDC.get(key);
            if (value != null) {
                job.putMetadata(METADATA_PREFIX + key, abbreviate(value));
            }
        }
    }

    @Override
    public Scope openScope(Job job) {
        Map<String, String> metadata = job.metadata();
        List<Previous> previous = new ArrayList<>();
        for (String key : this.keys) {
            String value = metadata.get(METADATA_PREFIX + key);
            if (value != null) {
                previous.add(new Previous(key, MDC.get(key)));
                MDC.put(key, value);
            }
        }
        if (previous.isEmpty()) {
            return Scope.NONE;
        }
        return () -> {
            for (Previous entry : previous) {
                if (entry.value() != null) {
                    MDC.put(entry.key(), entry.value());
                }
                else {
                    MDC.remove(entry.key());
                }
            }
        };
    }

    private static String abbreviate(String value) {
        return (value.length() <= JobDraft.MAX_METADATA_VALUE_LENGTH) ? value
                : value.substring(0, JobDraft.MAX_METADATA_VALUE_LENGTH);
    }

    @Override
    public String toString() {
        return "MdcJobFilter" + this.keys;
    }

    private record Previous(String key, @Nullable String value) {
    }
}
