package dev.quark.cluster.routing;

import java.util.List;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.MembershipSnapshot;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a message's view says beside one of this silo's: versions of one table compare, versions of two tables (the
 * table lost its data in between) do not, and messages name the table then.
 */
class SeenViewTests {

    private final ClusterView regrown = ClusterView.of(MembershipSnapshot.of("regrown", 3, List.of()), 150);

    @Test
    void aViewOfTheSameTableOrOfAnUnknownOneIsNamedByItsVersion() {
        assertThat(new SeenView("regrown", 7).comparableWith(this.regrown)).isTrue();
        assertThat(new SeenView("", 7).comparableWith(this.regrown)).isTrue();
        assertThat(new SeenView("regrown", 7).versionBeside(this.regrown)).isEqualTo("7");
    }

    @Test
    void aViewOfAnotherTableIsNamedWithItsIncarnation() {
        SeenView lost = new SeenView("lost", 41);

        assertThat(lost.comparableWith(this.regrown)).isFalse();
        assertThat(lost.versionBeside(this.regrown)).isEqualTo("41 of table incarnation lost");
        assertThat(lost).hasToString("membership version 41 of table lost");
    }
}
