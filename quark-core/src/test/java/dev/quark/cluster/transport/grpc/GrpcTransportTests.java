package dev.quark.cluster.transport.grpc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.grpc.Silos.Silo;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class GrpcTransportTests {

    @AutoClose
    private final Silos silos = new Silos();

    @Test
    void envelopeArrivesWithEveryField() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        Envelope sent = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[] { 1, 2, 3 });
        a.transport().send(b.address(), sent).toCompletableFuture().get(5, TimeUnit.SECONDS);
        Envelope received = b.recorder().received.poll(5, TimeUnit.SECONDS);
        assertThat(received).isNotNull();
        assertThat(received).usingRecursiveComparison().isEqualTo(sent);
        Envelope bare = new Envelope(9, 8, Envelope.Kind.RESPONSE, "b", 2, b.address(), "a", 1, null, null, 0,
                Envelope.noPayload(), 0, null, java.util.Map.of(), 0, 0, 0);
        b.transport().send(a.address(), bare).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(a.recorder().received.poll(5, TimeUnit.SECONDS)).usingRecursiveComparison().isEqualTo(bare);
    }

    @Test
    void envelopesOfOneLaneArriveInOrder() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        List<Long> sent = new ArrayList<>();
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            Envelope envelope = this.silos.envelope(a, b, Envelope.Kind.ONE_WAY, new byte[100]);
            sent.add(envelope.messageId());
            futures.add(a.transport().send(b.address(), envelope).toCompletableFuture());
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        List<Long> received = new ArrayList<>();
        while (received.size() < sent.size()) {
            Envelope next = b.recorder().received.poll(10, TimeUnit.SECONDS);
            assertThat(next).as("envelope %d of %d", received.size() + 1, sent.size()).isNotNull();
            received.add(next.messageId());
        }
        assertThat(received).isEqualTo(sent);
    }

    @Test
    void anErrorWhileHandlingOneEnvelopeDoesNotStopTheStream() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        b.recorder().failNext = new AssertionError("handler broke");
        Envelope first = this.silos.envelope(a, b, Envelope.Kind.ONE_WAY, new byte[10]);
        Envelope second = this.silos.envelope(a, b, Envelope.Kind.ONE_WAY, new byte[10]);
        a.transport().send(b.address(), first).toCompletableFuture().get(5, TimeUnit.SECONDS);
        a.transport().send(b.address(), second).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).extracting(Envelope::messageId)
            .isEqualTo(second.messageId());
    }

    @Test
    void peerOfAnotherClusterIsRefusedNamingBothValues() {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("shop"));
        Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[0]);
        assertThatThrownBy(() -> a.transport().send(b.address(), request).toCompletableFuture().get(5, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(HandshakeRefusedException.class)
            .hasMessageContaining("Silo b refuses silo a")
            .hasMessageContaining("cluster name 'shop' and protocol version 1 here")
            .hasMessageContaining("cluster name 'bank' and protocol version 1 there");
        assertThat(b.recorder().received).isEmpty();
        Envelope again = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[0]);
        assertThatThrownBy(() -> a.transport().send(b.address(), again).toCompletableFuture().get(5, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(HandshakeRefusedException.class)
            .hasMessageContaining("cluster name 'shop'");
    }

    @Test
    void oversizedEnvelopeIsNotSentAndTheLinkCarriesOn() throws Exception {
        GrpcTransportSettings small = GrpcTransportSettings.builder("bank").maxMessageSize(4096).build();
        Silo a = this.silos.start("a", small);
        Silo b = this.silos.start("b", small);
        Envelope large = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[5000]);
        assertThatThrownBy(() -> a.transport().send(b.address(), large).toCompletableFuture().get(5, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(EnvelopeRejectedException.class)
            .hasMessageContaining("more than quark.cluster.transport.max-message-size (4096 bytes)")
            .extracting((failure) -> ((EnvelopeRejectedException) failure).reason())
            .isEqualTo(EnvelopeRejectedException.Reason.TOO_LARGE);
        Envelope fits = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[1000]);
        a.transport().send(b.address(), fits).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).extracting(Envelope::messageId)
            .isEqualTo(fits.messageId());
    }

    @Test
    void receiverWithASmallerLimitSurvivesAnOversizedEnvelope() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", GrpcTransportSettings.builder("bank").maxMessageSize(4096)
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(200)).build());
        Envelope large = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[6000]);
        a.transport().send(b.address(), large);
        await().atMost(Duration.ofSeconds(5)).until(() -> a.recorder().lost.containsKey(large.messageId()));
        assertThat(a.recorder().lost.get(large.messageId())).isInstanceOf(EnvelopeRejectedException.class)
            .hasMessageContaining("refused message #" + large.messageId())
            .hasMessageContaining("more than the receiving silo's quark.cluster.transport.max-message-size (4096 bytes)")
            .extracting((failure) -> ((EnvelopeRejectedException) failure).reason())
            .as("the receiver says why, in the Rejected frame's cause")
            .isEqualTo(EnvelopeRejectedException.Reason.TOO_LARGE);
        assertThat(a.recorder().inDoubt).as("refused, so not handled").doesNotContainKey(large.messageId());
        Envelope huge = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[100_000]);
        a.transport().send(b.address(), huge);
        await().atMost(Duration.ofSeconds(5)).until(() -> a.recorder().lost.containsKey(huge.messageId()));
        assertThat(a.recorder().lost.get(huge.messageId())).isInstanceOf(LinkBrokenException.class);
        assertThat(a.recorder().inDoubt).as("the stream broke after it was written").containsKey(huge.messageId());
        Envelope fits = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[100]);
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions()
            .until(() -> a.transport().send(b.address(), fits).toCompletableFuture().get(1, TimeUnit.SECONDS) == null);
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).extracting(Envelope::messageId)
            .isEqualTo(fits.messageId());
    }

    @Test
    void requestsOnADisconnectedLinkAreReportedInDoubtAtOnce() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        a.transport().send(b.address(), request).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).isNotNull();

        a.transport().disconnect(b.address());

        assertThat(a.recorder().inDoubt).as("reported before disconnect returned").containsKey(request.messageId());
        assertThat(a.recorder().inDoubt.get(request.messageId())).isInstanceOf(LinkBrokenException.class)
            .hasMessageContaining("closed its link to " + b.address())
            .hasMessageContaining("may or may not have been handled")
            .hasMessageContaining("nothing was heard from");
        assertThat(a.transport().outstandingRequests()).isZero();
    }

    @Test
    void requestsOnAForgottenLinkAreReportedInDoubtAtOnce() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        a.transport().send(b.address(), request).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).isNotNull();

        a.transport().forget(b.address());

        assertThat(a.recorder().inDoubt).containsKey(request.messageId());
        assertThat(a.recorder().inDoubt.get(request.messageId())).hasMessageContaining("left the cluster");
    }

    @Test
    void reconnectDoesNotOpenLinksToAForgottenSiloOnlyASendDoes() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        a.transport().send(b.address(), request).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).isNotNull();

        a.transport().forget(b.address());

        assertThat(a.transport().reconnect(b.address(), Envelope.Lane.CALL).toCompletableFuture())
            .as("a silo declared dead is not connected to again by a wait")
            .failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(java.util.concurrent.ExecutionException.class)
            .havingCause()
            .isInstanceOf(LinkBrokenException.class)
            .withMessageContaining("left the cluster");
        Envelope lateAnswer = this.silos.envelope(a, b, Envelope.Kind.RESPONSE, new byte[10]);
        assertThat(a.transport().send(b.address(), lateAnswer).toCompletableFuture())
            .as("still departed: an answer opens no link to it")
            .failsWithin(Duration.ofSeconds(5))
            .withThrowableOfType(java.util.concurrent.ExecutionException.class)
            .withMessageContaining("left the cluster");

        Envelope again = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        a.transport().send(b.address(), again).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(a.transport().reconnect(b.address(), Envelope.Lane.CALL).toCompletableFuture())
            .as("a send opened the link again").succeedsWithin(Duration.ofSeconds(5));
    }

    @Test
    void closingTheTransportReportsNothingInDoubt() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        a.transport().send(b.address(), request).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).isNotNull();

        a.transport().close();

        assertThat(a.recorder().lost).isEmpty();
    }

    @Test
    void reconnectCompletesOnceABrokenLinkIsUpAgainWithoutASend() throws Exception {
        Silo a = this.silos.start("a", GrpcTransportSettings.builder("bank")
            .reconnectBackoff(Duration.ofMillis(300), Duration.ofSeconds(5)).build());
        Silo b = this.silos.start("b", Silos.settings("bank"));
        Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        a.transport().send(b.address(), request).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).isNotNull();
        assertThat(a.transport().reconnect(b.address(), Envelope.Lane.CALL).toCompletableFuture())
            .as("up already").isCompleted();

        b.transport().close();
        await().atMost(Duration.ofSeconds(5)).until(() -> a.recorder().inDoubt.containsKey(request.messageId()));
        CompletableFuture<Void> whileDown = a.transport().reconnect(b.address(), Envelope.Lane.CALL)
            .toCompletableFuture();
        assertThat(whileDown).as("the attempt after the back-off finds nobody listening")
            .failsWithin(Duration.ofSeconds(5));

        Silo b2 = this.silos.start("b", Silos.settings("bank"), b.address().port());
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            a.transport().reconnect(b2.address(), Envelope.Lane.CALL).toCompletableFuture().get(2, TimeUnit.SECONDS);
            return true;
        });
        Envelope after = this.silos.envelope(a, b2, Envelope.Kind.REQUEST, new byte[10]);
        a.transport().send(b2.address(), after).toCompletableFuture().get(1, TimeUnit.SECONDS);
        assertThat(b2.recorder().received.poll(5, TimeUnit.SECONDS)).extracting(Envelope::messageId)
            .isEqualTo(after.messageId());
    }

    @Test
    void brokenStreamFailsCallsInFlightThenReconnects() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        a.transport().send(b.address(), request).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(b.recorder().received.poll(5, TimeUnit.SECONDS)).isNotNull();
        assertThat(a.transport().outstandingRequests()).isEqualTo(1);

        b.transport().close();
        await().atMost(Duration.ofSeconds(5)).until(() -> a.recorder().lost.containsKey(request.messageId()));
        assertThat(a.recorder().lost.get(request.messageId())).isInstanceOf(LinkBrokenException.class)
            .hasMessageContaining("may or may not have been handled");
        assertThat(a.recorder().inDoubt).containsKey(request.messageId());
        assertThat(a.transport().outstandingRequests()).isZero();
        Envelope whileDown = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        assertThatThrownBy(() -> a.transport().send(b.address(), whileDown).toCompletableFuture().get(5, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(LinkBrokenException.class);

        Silo b2 = this.silos.start("b", Silos.settings("bank"), b.address().port());
        Envelope afterRestart = this.silos.envelope(a, b2, Envelope.Kind.REQUEST, new byte[10]);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
            .until(() -> a.transport().send(b2.address(), afterRestart).toCompletableFuture().get(2, TimeUnit.SECONDS) == null);
        assertThat(b2.recorder().received.poll(5, TimeUnit.SECONDS)).extracting(Envelope::messageId)
            .isEqualTo(afterRestart.messageId());
    }

    @Test
    void answerClearsTheRequestFromTheLinksInFlight() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        Envelope request = this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[10]);
        a.transport().send(b.address(), request).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(a.transport().outstandingRequests()).isEqualTo(1);
        Envelope answer = new Envelope(100, request.messageId(), Envelope.Kind.RESPONSE, "b", 1, b.address(), "a", 1,
                null, null, 0, new byte[1], 0, null, java.util.Map.of(), 0, 0, 0);
        b.transport().send(a.address(), answer).toCompletableFuture().get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> a.transport().outstandingRequests() == 0);
    }

    @Test
    void slowReceiverHoldsBackTheSenderWithinItsLimit() throws Exception {
        GrpcTransportSettings limited = GrpcTransportSettings.builder("bank").maxInFlight(50).inboundWindow(4).build();
        Silo a = this.silos.start("a", limited);
        CountDownLatch release = new CountDownLatch(1);
        Silos.Recorder blocking = new Silos.Recorder() {
            @Override
            public void receive(Envelope envelope) {
                try {
                    release.await(10, TimeUnit.SECONDS);
                }
                catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                super.receive(envelope);
            }
        };
        GrpcTransport bTransport = GrpcTransport.selfHosted(limited, new java.net.InetSocketAddress("127.0.0.1", 0), null);
        try {
            SiloAddress bAddress = bTransport.start("b", blocking);
            Silo b = new Silo("b", bAddress, bTransport, blocking);
            List<CompletableFuture<Void>> accepted = new ArrayList<>();
            Throwable refused = null;
            for (int i = 0; i < 200 && refused == null; i++) {
                CompletableFuture<Void> sent = a.transport()
                    .send(bAddress, this.silos.envelope(a, b, Envelope.Kind.REQUEST, new byte[100]))
                    .toCompletableFuture();
                if (sent.isCompletedExceptionally()) {
                    refused = sent.handle((ok, failure) -> failure).join();
                }
                else {
                    accepted.add(sent);
                }
            }
            assertThat(refused).isInstanceOf(PeerOverloadedException.class)
                .hasMessageContaining("quark.cluster.transport.max-in-flight");
            assertThat(accepted).hasSize(50);
            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> blocking.received.size() == 50);
        }
        finally {
            release.countDown();
            bTransport.close();
        }
    }

    @Test
    void forgettingAPeerLeavesNoChannelOrLinkToItAcrossManyJoinsAndLeaves() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        for (int i = 0; i < 20; i++) {
            Silo peer = this.silos.start("peer-" + i, Silos.settings("bank"));
            a.transport().send(peer.address(), this.silos.envelope(a, peer, Envelope.Kind.REQUEST, new byte[4]))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
            a.transport().send(peer.address(), this.silos.envelope(a, peer, Envelope.Kind.PROBE, new byte[4]))
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(a.transport().peers()).containsExactly(peer.address());
            peer.transport().close();
            a.transport().forget(peer.address());
            assertThat(a.transport().peers()).isEmpty();
        }
        Silo back = this.silos.start("back", Silos.settings("bank"));
        Envelope afterForgetting = this.silos.envelope(a, back, Envelope.Kind.REQUEST, new byte[4]);
        a.transport().send(back.address(), afterForgetting).toCompletableFuture().get(5, TimeUnit.SECONDS);
        a.transport().forget(back.address());
        Envelope again = this.silos.envelope(a, back, Envelope.Kind.REQUEST, new byte[4]);
        a.transport().send(back.address(), again).toCompletableFuture().get(5, TimeUnit.SECONDS);
        // The first may be lost with the channel shut down under it; a send after forgetting opens a new one.
        await().atMost(Duration.ofSeconds(5))
            .until(() -> back.recorder().received.stream().anyMatch((e) -> e.messageId() == again.messageId()));
    }

    @Test
    void anAnswerToAForgottenAddressFailsUntilASiloThereIsWelcomedBack() throws Exception {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        a.transport().forget(b.address());
        Envelope refused = this.silos.envelope(a, b, Envelope.Kind.RESPONSE, new byte[4]);
        assertThatThrownBy(() -> a.transport().send(b.address(), refused).toCompletableFuture().get(5, TimeUnit.SECONDS))
            .cause()
            .isInstanceOf(LinkBrokenException.class)
            .hasMessageContaining("left the cluster");
        a.transport().welcome(b.address());
        Envelope answer = this.silos.envelope(a, b, Envelope.Kind.RESPONSE, new byte[4]);
        a.transport().send(b.address(), answer).toCompletableFuture().get(5, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5))
            .until(() -> b.recorder().received.stream().anyMatch((e) -> e.messageId() == answer.messageId()));
    }

    @Test
    void sendAfterCloseFailsWithATypedException() {
        Silo a = this.silos.start("a", Silos.settings("bank"));
        Silo b = this.silos.start("b", Silos.settings("bank"));
        a.transport().close();
        assertThatThrownBy(() -> a.transport()
            .send(b.address(), this.silos.envelope(a, b, Envelope.Kind.ONE_WAY, new byte[0]))
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS)).cause().isInstanceOf(LinkBrokenException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> a.transport().start("a", (envelope) -> {
        })).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void sendsRacingTheCloseLeaveNoLinkOrChannelOpen() throws Exception {
        int senders = 4;
        int targetsEach = 100;
        for (int round = 0; round < 10; round++) {
            Silo a = this.silos.start("a-" + round, Silos.settings("bank"));
            CountDownLatch sending = new CountDownLatch(senders);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < senders; t++) {
                int first = 1 + t * targetsEach;
                threads.add(Thread.ofPlatform().start(() -> {
                    sending.countDown();
                    // Each send goes to an address of its own (nothing listens there), so each adds a link and a
                    // channel.
                    for (int port = first; port < first + targetsEach; port++) {
                        a.transport().send(new SiloAddress("127.0.0.1", port),
                                this.silos.envelope(a, a, Envelope.Kind.ONE_WAY, new byte[0]));
                    }
                }));
            }
            sending.await(5, TimeUnit.SECONDS);
            a.transport().close();
            for (Thread thread : threads) {
                assertThat(thread.join(Duration.ofSeconds(10))).isTrue();
            }
            assertThat(a.transport().openConnections()).as("links and channels open after the close, round " + round)
                .isZero();
        }
    }

    @Test
    void settingsOutOfRangeAreRefusedWithTheirName() {
        assertThatThrownBy(() -> GrpcTransportSettings.builder("bank").maxMessageSize(10).build())
            .hasMessageContaining("Max message size must be at least 1024 bytes, was 10");
        assertThatThrownBy(() -> GrpcTransportSettings.builder("bank").maxInFlight(0).build())
            .hasMessageContaining("Max in-flight must be at least 1");
        assertThatThrownBy(() -> GrpcTransportSettings.builder(" ").build())
            .hasMessageContaining("Cluster name must not be blank");
        assertThatThrownBy(() -> GrpcTransportSettings.builder("bank")
            .reconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1))
            .build()).hasMessageContaining("must not be shorter than its min");
    }

    @Test
    void limitsOnInvalidFramesAreRefusedOutOfRangeWithTheirValueAndDefaultToTheWindow() {
        assertThatThrownBy(() -> GrpcTransportSettings.builder("bank").maxUnreadableFramesInARow(0).build())
            .hasMessage("Max unreadable frames in a row must be at least 1, was 0");
        assertThatThrownBy(() -> GrpcTransportSettings.builder("bank").maxInvalidFrames(10, 10).build())
            .hasMessage("Max invalid frames must be at least 1 and less than the invalid frames window (10), was 10");
        assertThatThrownBy(() -> GrpcTransportSettings.builder("bank").maxInvalidFrames(0, 10).build())
            .hasMessage("Max invalid frames must be at least 1 and less than the invalid frames window (10), was 0");
        assertThatThrownBy(() -> GrpcTransportSettings.builder("bank").maxInvalidFrames(1, 1).build())
            .hasMessage("Invalid frames window must be between 2 and 100000 frames, was 1");
        assertThatThrownBy(() -> GrpcTransportSettings.builder("bank").maxInvalidFrames(1, 100_001).build())
            .hasMessage("Invalid frames window must be between 2 and 100000 frames, was 100001");
        GrpcTransportSettings defaults = GrpcTransportSettings.builder("bank").build();
        assertThat(defaults.maxUnreadableFramesInARow()).isEqualTo(64);
        assertThat(defaults.maxInvalidFrames()).isEqualTo(100);
        assertThat(defaults.invalidFramesWindow()).isEqualTo(1000);
        assertThat(GrpcTransportSettings.builder("bank").inboundWindow(4).build().maxUnreadableFramesInARow())
            .isEqualTo(16);
        assertThat(GrpcTransportSettings.builder("bank").inboundWindow(4).maxUnreadableFramesInARow(3).build()
            .maxUnreadableFramesInARow()).isEqualTo(3);
    }
}
