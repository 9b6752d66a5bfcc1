package dev.quark.jobs.filter;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobDraft;
import dev.quark.jobs.JobFilter;
import dev.quark.jobs.JobId;
import dev.quark.jobs.JobStatus;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class MdcJobFilterTests {

    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

    private final MdcJobFilter filter = new MdcJobFilter(List.of("requestId", "tenant", "requestId"));

    @AfterEach
    void clearMdc() {
        MDC.clear();
    }

    @Test
    void theConfiguredKeysTheMdcHoldsAreStoredWithTheJob() {
        MDC.put("requestId", "req-1");
        MDC.put("user", "not carried");
        Draft draft = new Draft();
        this.filter.beforeEnqueue(draft);
        assertThat(draft.metadata).containsExactly(Map.entry("mdc.requestId", "req-1"));
        assertThat(this.filter.keys()).containsExactly("requestId", "tenant");
    }

    @Test
    void theCarriedEntriesArePutBackAroundAnAttemptAndWhatTheMdcHeldBeforeIsRestoredAfter() {
        MDC.put("tenant", "worker's own");
        Job job = job(Map.of("mdc.requestId", "req-1", "mdc.tenant", "acme", "mdc.user", "not configured here"));
        JobFilter.Scope scope = this.filter.openScope(job);
        assertThat(MDC.get("requestId")).isEqualTo("req-1");
        assertThat(MDC.get("tenant")).isEqualTo("acme");
        assertThat(MDC.get("user")).isNull();
        scope.close();
        assertThat(MDC.get("requestId")).isNull();
        assertThat(MDC.get("tenant")).isEqualTo("worker's own");
        assertThat(this.filter.openScope(job(Map.of()))).isSameAs(JobFilter.Scope.NONE);
    }

    @Test
    void aKeyThatCannotBeCarriedIsRejectedNamingIt() {
        assertThatIllegalArgumentException().isThrownBy(() -> new MdcJobFilter(List.of(" ")))
            .withMessage("Cannot carry the MDC key ' ' with jobs: it is blank");
        assertThatIllegalArgumentException().isThrownBy(() -> new MdcJobFilter(List.of("k".repeat(97))))
            .withMessage("Cannot carry the MDC key '" + "k".repeat(97) + "' with jobs: it has 97 characters, more than 96");
        assertThatIllegalArgumentException().isThrownBy(() -> new MdcJobFilter(List.of("ok", "bad\nkey")))
            .withMessage("Cannot carry the MDC key 'bad\\u000akey' with jobs: it holds control characters");
        assertThatIllegalArgumentException().isThrownBy(() -> new MdcJobFilter(List.of("quark.job.id")))
            .withMessage("Cannot carry the MDC key 'quark.job.id' with jobs: keys starting with 'quark.job.' belong to "
                    + "the job itself");
        List<String> many = java.util.stream.IntStream.rangeClosed(1, 65).mapToObj((i) -> "key" + i).toList();
        assertThatIllegalArgumentException().isThrownBy(() -> new MdcJobFilter(many))
            .withMessage("Cannot carry 65 MDC keys with jobs: a job carries at most 64 metadata entries");
        assertThat(new MdcJobFilter(many.subList(0, 64)).keys()).hasSize(64);
    }

    @Test
    void itIsOrderedAheadOfFiltersWithoutAnOrder() {
        MdcJobFilter filter = new MdcJobFilter(List.of("requestId"));
        assertThat(filter.getOrder()).isEqualTo(MdcJobFilter.ORDER)
            .isLessThan(org.springframework.core.Ordered.LOWEST_PRECEDENCE)
            .isGreaterThan(org.springframework.core.Ordered.HIGHEST_PRECEDENCE);
        JobFilter plain = new JobFilter() {
        };
        List<Object> sorted = new java.util.ArrayList<>(List.of(plain, filter));
        org.springframework.core.annotation.AnnotationAwareOrderComparator.sort(sorted);
        assertThat(sorted).containsExactly(filter, plain);
    }

    private static Job job(Map<String, String> metadata) {
        return new Job(JobId.next(java.time.Clock.systemUTC()), "t", "{}", null, JobStatus.RUNNING, 1, NOW, NOW, NOW,
                null, "worker", 0, null, false, null, List.of(), metadata);
    }

    /** A draft that keeps what the filter puts. */
    private static final class Draft implements JobDraft {

        final Map<String, String> metadata = new LinkedHashMap<>();

        @Override
        public String type() {
            return "t";
        }

        @Override
        public Object payload() {
            return "p";
        }

        @Override
        public void replacePayload(Object payload) {
        }

        @Override
        public Map<String, String> metadata() {
            return this.metadata;
        }

        @Override
        public void putMetadata(String key, String value) {
            this.metadata.put(key, value);
        }

        @Override
        public void removeMetadata(String key) {
            this.metadata.remove(key);
        }

        @Override
        public Instant dueAt() {
            return NOW;
        }

        @Override
        public void runAt(Instant instant) {
        }

        @Override
        public void runAfter(Duration delay) {
        }

        @Override
        public @Nullable String idempotencyKey() {
            return null;
        }

        @Override
        public @Nullable String workflow() {
            return null;
        }

        @Override
        public @Nullable String step() {
            return null;
        }

        @Override
        public void veto(String reason) {
        }
    }
}
