package dev.quark.cluster.transport.jackson;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.PayloadCodecException;
import dev.quark.cluster.transport.jackson.fixtures.Account;
import dev.quark.cluster.transport.jackson.fixtures.AccountActor;
import dev.quark.cluster.transport.jackson.fixtures.Bank;
import dev.quark.cluster.transport.jackson.fixtures.Currency;
import dev.quark.cluster.transport.jackson.fixtures.Entry;
import dev.quark.cluster.transport.jackson.fixtures.Ledger;
import dev.quark.cluster.transport.jackson.fixtures.Money;
import dev.quark.cluster.transport.jackson.fixtures.Transfer;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.MethodDescriptor;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.cbor.CBORMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Random and mutated payloads, for about two seconds per format: decoding either succeeds or raises a
 * {@link PayloadCodecException}; a failure always decodes to some exception; nothing hangs.
 */
class PayloadFuzzTests {

    private static final Duration BUDGET = Duration.ofSeconds(1);

    private static final int MAX_ROUNDS = 200_000;

    @AutoClose
    private final ActorRuntime runtime = ActorRuntime.builder().actor(AccountActor.class).build();

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void randomAndMutatedJsonNeverLeaksAnotherException() {
        fuzz(JsonMapper.builder().build(), 20_260_301L);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void randomAndMutatedCborNeverLeaksAnotherException() {
        fuzz(CBORMapper.builder().build(), 20_260_302L);
    }

    private void fuzz(ObjectMapper mapper, long seed) {
        PayloadCodec codec = new JacksonPayloadCodec(mapper, this.runtime, List.of("com.example.payloads"));
        List<Sample> samples = samples(codec);
        Random random = new Random(seed);
        long deadline = System.nanoTime() + BUDGET.toNanos();
        int rounds = 0;
        int decoded = 0;
        while (rounds < MAX_ROUNDS && System.nanoTime() < deadline) {
            rounds++;
            Sample sample = samples.get(random.nextInt(samples.size()));
            Sample other = samples.get(random.nextInt(samples.size()));
            byte[] payload = mutate(random, sample.bytes(), other.bytes());
            MethodDescriptor method = samples.get(random.nextInt(samples.size())).method();
            try {
                switch (random.nextInt(3)) {
                    case 0 -> codec.decodeArguments(method, payload);
                    case 1 -> codec.decodeResult(method, payload);
                    default -> assertThat(codec.decodeFailure(payload)).isNotNull();
                }
                decoded++;
            }
            catch (PayloadCodecException ex) {
                assertThat(ex.getMessage()).contains(method.toString());
            }
            catch (RuntimeException | StackOverflowError ex) {
                fail("Seed " + seed + ", round " + rounds + ": " + method + " on "
                        + HexFormat.of().formatHex(payload) + " threw " + ex, ex);
            }
        }
        assertThat(rounds).as("rounds in %s", BUDGET).isGreaterThan(100);
        assertThat(decoded).as("some mutations still decode").isPositive();
    }

    private List<Sample> samples(PayloadCodec codec) {
        Money money = new Money(1250, Currency.EUR);
        Account account = this.runtime.get(Account.class, "a-1");
        List<Sample> samples = new ArrayList<>();
        add(samples, codec, Descriptors.of(Ledger.class, "total"), 12L, 3, 0.5, true, 'x');
        add(samples, codec, Descriptors.of(Ledger.class, "add"), money, null);
        add(samples, codec, Descriptors.of(Ledger.class, "split"), List.of(money, money), 2);
        add(samples, codec, Descriptors.of(Ledger.class, "index"), Map.of("k", Set.of(1L, 2L)));
        add(samples, codec, Descriptors.of(Ledger.class, "find"), Optional.of("key"));
        add(samples, codec, Descriptors.of(Ledger.class, "schedule"), Instant.EPOCH, Duration.ofSeconds(3),
                LocalDate.of(2026, 1, 1));
        add(samples, codec, Descriptors.of(Ledger.class, "digest"), (Object) new byte[] { 1, 2, 3, 4 });
        add(samples, codec, Descriptors.of(Ledger.class, "sorted"), new Money[] { money }, new int[] { 0 });
        add(samples, codec, Descriptors.of(Ledger.class, "book"),
                new Entry("e", List.of(money), Map.of(Currency.USD, money), Optional.of(Instant.EPOCH)));
        add(samples, codec, Descriptors.of(Ledger.class, "reset"));
        add(samples, codec, Descriptors.of(Bank.class, "transfer"), account, account, 5L);
        add(samples, codec, Descriptors.of(Bank.class, "settle"), new Transfer(account, account, 1));
        add(samples, codec, Descriptors.of(Bank.class, "describe"), account);
        samples.add(new Sample(Descriptors.of(Ledger.class, "book"), codec.encodeResult(Descriptors.of(Ledger.class,
                "book"), new Entry("r", List.of(), Map.of(), Optional.empty()))));
        samples.add(new Sample(Descriptors.of(Ledger.class, "reset"),
                codec.encodeFailure(new IllegalStateException("outer", new java.io.IOException("inner")))));
        return samples;
    }

    private static void add(List<Sample> samples, PayloadCodec codec, MethodDescriptor method, Object... arguments) {
        samples.add(new Sample(method, codec.encodeArguments(method, arguments)));
    }

    private static byte[] mutate(Random random, byte[] bytes, byte[] other) {
        return switch (random.nextInt(7)) {
            case 0 -> randomBytes(random, random.nextInt(64));
            case 1 -> {
                byte[] copy = bytes.clone();
                for (int flips = 1 + random.nextInt(3); flips > 0 && copy.length > 0; flips--) {
                    copy[random.nextInt(copy.length)] ^= (byte) (1 << random.nextInt(8));
                }
                yield copy;
            }
            case 2 -> java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
            case 3 -> {
                byte[] copy = bytes.clone();
                if (copy.length > 0) {
                    copy[random.nextInt(copy.length)] = (byte) random.nextInt(256);
                }
                yield copy;
            }
            case 4 -> {
                int cut = random.nextInt(bytes.length + 1);
                byte[] spliced = java.util.Arrays.copyOf(bytes, cut + other.length);
                System.arraycopy(other, 0, spliced, cut, other.length);
                yield spliced;
            }
            case 5 -> {
                int at = random.nextInt(bytes.length + 1);
                byte[] inserted = randomBytes(random, 1 + random.nextInt(8));
                byte[] grown = new byte[bytes.length + inserted.length];
                System.arraycopy(bytes, 0, grown, 0, at);
                System.arraycopy(inserted, 0, grown, at, inserted.length);
                System.arraycopy(bytes, at, grown, at + inserted.length, bytes.length - at);
                yield grown;
            }
            default -> bytes;
        };
    }

    private static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    private record Sample(MethodDescriptor method, byte[] bytes) {
    }
}
