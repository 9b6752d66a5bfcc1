package dev.quark.autoconfigure.health;

import java.util.Locale;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.MembershipState;
import dev.quark.cluster.membership.SiloMembership;
import dev.quark.cluster.membership.SiloStatus;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The {@code quarkCluster} health contributor: UP while this silo is an active member that serves and the
 * membership table answers; DOWN when the silo was declared dead, stopped serving on its own (it could not
 * renew its entry), or the table does not answer; OUT_OF_SERVICE while it joins or leaves. Details: the silo's
 * id, its state, the table's version and the members by status.
 */
public class ClusterHealthIndicator extends AbstractHealthIndicator {

    private final SiloMembership agent;

    private final MembershipProvider membership;

    /**
     * Creates the indicator.
     * @param agent this silo's membership agent
     * @param membership the membership table, read on each check
     */
    public ClusterHealthIndicator(SiloMembership agent, MembershipProvider membership) {
        super("Quark cluster health check failed");
        this.agent = agent;
        this.membership = membership;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        MembershipState state = this.agent.state();
        builder.withDetail("siloId", this.agent.settings().siloId())
            .withDetail("cluster", this.agent.settings().clusterName())
            .withDetail("state", state.name())
            .withDetail("serving", this.agent.isServing());
        MembershipSnapshot table = this.membership.read();
        builder.withDetail("version", table.version());
        for (SiloStatus status : SiloStatus.values()) {
            builder.withDetail("members." + status.name().toLowerCase(Locale.ROOT), table.withStatus(status).size());
        }
        switch (state) {
            case ACTIVE -> {
                if (this.agent.isServing()) {
                    builder.up();
                }
                else {
                    builder.down();
                }
            }
            case DECLARED_DEAD, REJOINING -> builder.down();
            default -> builder.outOfService();
        }
    }
}
