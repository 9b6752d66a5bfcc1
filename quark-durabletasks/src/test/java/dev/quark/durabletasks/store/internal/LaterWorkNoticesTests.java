package dev.quark.durabletasks.store.internal;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LaterWorkNoticesTests {

    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");

    private final LaterWorkNotices notices = new LaterWorkNotices();

    @Test
    void onlyWorkVisibleBeforeTheEarliestNoticeAheadIsToldOf() {
        assertThat(this.notices.tell(NOW.plusSeconds(10), NOW)).isTrue();
        assertThat(this.notices.tell(NOW.plusSeconds(20), NOW)).as("visible after the notice ahead").isFalse();
        assertThat(this.notices.tell(NOW.plusSeconds(10), NOW)).as("visible with it").isFalse();
        assertThat(this.notices.tell(NOW.plusSeconds(5), NOW)).as("visible before it").isTrue();
        assertThat(this.notices.tell(NOW.plusSeconds(8), NOW)).isFalse();
    }

    @Test
    void onceTheNoticeAheadIsDueLaterWorkIsToldOfAgain() {
        assertThat(this.notices.tell(NOW.plusSeconds(10), NOW)).isTrue();
        assertThat(this.notices.tell(NOW.plusSeconds(30), NOW.plusSeconds(10))).isTrue();
        assertThat(this.notices.tell(NOW.plusSeconds(40), NOW.plusSeconds(11))).isFalse();
    }

    @Test
    void aNoticeOnlyWeighedIsNotRememberedUntilTold() {
        assertThat(this.notices.wouldTell(NOW.plusSeconds(10), NOW)).isTrue();
        assertThat(this.notices.wouldTell(NOW.plusSeconds(20), NOW)).as("nothing remembered yet").isTrue();
        this.notices.told(NOW.plusSeconds(10), NOW);
        assertThat(this.notices.wouldTell(NOW.plusSeconds(20), NOW)).isFalse();
        this.notices.told(NOW.plusSeconds(20), NOW);
        assertThat(this.notices.wouldTell(NOW.plusSeconds(15), NOW)).as("the earlier notice stays ahead").isFalse();
    }
}
