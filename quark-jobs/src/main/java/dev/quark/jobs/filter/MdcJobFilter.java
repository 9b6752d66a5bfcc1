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
import org.springframework.core.Ordered;

/**
 * Carries chosen MDC entries from the thread that enqueues a job to the worker threads that run it: at enqueue it
 * stores each key's value (when the MDC holds one) in the job's metadata as {@code mdc.<key>}; around every attempt
 * it puts them back in the worker thread's MDC, and afterwards restores what the MDC held before (nothing, on a
 * worker's own thread). Only the configured keys are restored, whatever a job's metadata holds.
 * <p>
 * Its order is {@link #ORDER}, ahead of filters without an order: their {@code beforeEnqueue} sees the {@code mdc.*}
 * metadata it wrote, and their scopes open after its own (so their {@code openScope} already sees the MDC it
 * restored) and close before it.
 * <p>
 * Under Spring Boot it is a bean when {@code quark.jobs.context.mdc-keys} names keys.
 */
public final class MdcJobFilter implements JobFilter, Ordered {

    /** The prefix of the metadata keys this filter writes. */
    public static final String METADATA_PREFIX = "mdc.";

    /**
     * The filter's order, {@code Ordered.HIGHEST_PRECEDENCE + 1000}: early, with room for filters that must run even
     * earlier.
     */
    public static final int ORDER = Ordered.HIGHEST_PRECEDENCE + 1000;

    /** The prefix of the MDC keys of the job itself ({@code quark.job.id}, {@code quark.job.type}), not carried. */
    public static final String RESERVED_PREFIX = "quark.job.";

    /** The longest MDC key carried: the longest metadata key less the prefix. */
    public static final int MAX_KEY_LENGTH = JobDraft.MAX_METADATA_KEY_LENGTH - METADATA_PREFIX.length();

    private final List<String> keys;

    /**
     * Creates the filter.
     * @param keys the MDC keys to carry, at most {@value JobDraft#MAX_METADATA_ENTRIES} different ones; each
     * {@link #problemWith(String) fine}
     * @throws IllegalArgumentException naming the key that is not fine, or the number of keys when there are too many
     */
    public MdcJobFilter(List<String> keys) {
        Objects.requireNonNull(keys, "keys must not be null");
        for (String key : keys) {
            String problem = problemWith(key);
            if (problem != null) {
                throw new IllegalArgumentException("Cannot carry the MDC key '" + printable(key) + "' with jobs: "
                        + problem);
            }
        }
        List<String> distinct = keys.stream().distinct().toList();
        if (distinct.size() > JobDraft.MAX_METADATA_ENTRIES) {
            throw new IllegalArgumentException("Cannot carry " + distinct.size() + " MDC keys with jobs: a job carries "
                    + "at most " + JobDraft.MAX_METADATA_ENTRIES + " metadata entries");
        }
        this.keys = distinct;
    }

    /**
     * Tells what is wrong with an MDC key to carry, if anything.
     * @param key the key
     * @return why it cannot be carried, or {@code null} when it can: it is not blank, has at most
     * {@value #MAX_KEY_LENGTH} characters, no control characters, and does not start with {@value #RESERVED_PREFIX}
     */
    public static @Nullable String problemWith(@Nullable String key) {
        if (key == null || key.isBlank()) {
            return "it is blank";
        }
        if (key.length() > MAX_KEY_LENGTH) {
            return "it has " + key.length() + " characters, more than " + MAX_KEY_LENGTH;
        }
        if (key.chars().anyMatch(Character::isISOControl)) {
            return "it holds control characters";
        }
        if (key.startsWith(RESERVED_PREFIX)) {
            return "keys starting with '" + RESERVED_PREFIX + "' belong to the job itself";
        }
        return null;
    }

    /**
     * Shows a key in a message: control characters as Unicode escapes, cut at 120 characters.
     * @param key the key
     * @return the key, printable
     */
    public static String printable(@Nullable String key) {
        if (key == null) {
            return "null";
        }
        StringBuilder text = new StringBuilder();
        key.chars().limit(120).forEach((c) -> {
            if (Character.isISOControl(c)) {
                text.append(String.format("\\u%04x", c));
            }
            else {
                text.append((char) c);
            }
        });
        return (key.length() > 120) ? text + "..." : text.toString();
    }

    @Override
    public int getOrder() {
        return ORDER;
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
