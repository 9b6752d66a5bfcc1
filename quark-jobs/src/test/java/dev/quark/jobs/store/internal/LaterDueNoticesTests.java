package dev.quark.jobs.store.internal;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LaterDueNoticesTests {

    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");

    private final LaterDueNotices notices = new LaterDueNotices();

    @Test
    void onlyAJobDueBeforeTheEarliestNoticeAheadOfItsTypeIsToldOf() {
        assertThat(this.notices.tell("a", NOW.plusSeconds(10), NOW)).isTrue();
        assertThat(this.notices.tell("a", NOW.plusSeconds(20), NOW)).as("due after the notice ahead").isFalse();
        assertThat(this.notices.tell("a", NOW.plusSeconds(10), NOW)).as("due with it").isFalse();
        assertThat(this.notices.tell("b", NOW.plusSeconds(20), NOW)).as("another type").isTrue();
        assertThat(this.notices.tell("a", NOW.plusSeconds(5), NOW)).as("due before it").isTrue();
        assertThat(this.notices.tell("a", NOW.plusSeconds(8), NOW)).isFalse();
    }

    @Test
    void onceTheNoticeAheadIsDueTheNextJobIsToldOfAgain() {
        assertThat(this.notices.tell("a", NOW.plusSeconds(10), NOW)).isTrue();
        assertThat(this.notices.tell("a", NOW.plusSeconds(30), NOW.plusSeconds(10))).isTrue();
        assertThat(this.notices.tell("a", NOW.plusSeconds(40), NOW.plusSeconds(11))).isFalse();
    }

    @Test
    void aNoticeNotSentHoldsNoLaterOneBack() {
        assertThat(this.notices.wouldTell("a", NOW.plusSeconds(10), NOW)).isTrue();
        assertThat(this.notices.wouldTell("a", NOW.plusSeconds(20), NOW)).as("nothing remembered").isTrue();
        this.notices.told("a", NOW.plusSeconds(10), NOW);
        assertThat(this.notices.wouldTell("a", NOW.plusSeconds(20), NOW)).as("after the notice sent").isFalse();
        this.notices.told("a", NOW.plusSeconds(30), NOW);
        assertThat(this.notices.wouldTell("a", NOW.plusSeconds(20), NOW)).as("the earlier notice kept").isFalse();
    }
}
