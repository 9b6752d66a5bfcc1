package dev.quark.testkit.cluster;

import java.net.InetSocketAddress;

import dev.quark.cluster.transport.grpc.GrpcTransport;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import org.junit.jupiter.api.Test;

/**
 * The churn scenarios of {@link ClusterChurnTests} over gRPC with the membership and the ledgers' totals in
 * PostgreSQL, as in {@link JdbcClusterChurnTests}: joins and leaves reach the silos through {@code LISTEN}/{@code NOTIFY}
 * while calls, answers, probes and hand-offs go through the silos' HTTP/2 streams (plaintext, {@code 127.0.0.1}, a
 * free port each). At {@link ClusterChurnTests#SERVER_LOAD}.
 */
class GrpcJdbcClusterChurnTests extends JdbcClusterChurnTests {

    @Override
    void configure(TestCluster.Builder builder) {
        super.configure(builder);
        GrpcTransportSettings settings = GrpcTransportSettings.builder(this.clusterName).build();
        builder.transport((siloId) -> GrpcTransport.selfHosted(settings, new InetSocketAddress("127.0.0.1", 0), null));
    }

    @Test
    @Override
    void callersThatKeepEnteringThroughALeavingSiloFailOnlyWithTypedExceptionsAndLoseNoAcknowledgedUpdate() {
        super.callersThatKeepEnteringThroughALeavingSiloFailOnlyWithTypedExceptionsAndLoseNoAcknowledgedUpdate();
    }

    @Test
    @Override
    void silosRestartedWithTheirOldIdsNeverActivateALedgerTwiceAndLoseNoAcknowledgedUpdate() {
        super.silosRestartedWithTheirOldIdsNeverActivateALedgerTwiceAndLoseNoAcknowledgedUpdate();
    }

    @Test
    @Override
    void rollingRestartMovesOnlyTheLedgersWhoseRangesChangeHands() {
        super.rollingRestartMovesOnlyTheLedgersWhoseRangesChangeHands();
    }

    @Test
    @Override
    void aRollingRestartThatStartsTheNewSiloFirstMovesFewerLedgers() {
        super.aRollingRestartThatStartsTheNewSiloFirstMovesFewerLedgers();
    }

    @Test
    @Override
    void aRollingRestartWithCallersCallingMeanwhileFailsNoCallAndLosesNoUpdate() {
        super.aRollingRestartWithCallersCallingMeanwhileFailsNoCallAndLosesNoUpdate();
    }
}
