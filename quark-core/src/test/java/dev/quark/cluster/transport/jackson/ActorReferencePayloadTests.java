package dev.quark.cluster.transport.jackson;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.quark.actor.ActorRef;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.cluster.transport.PayloadCodecException;
import dev.quark.cluster.transport.jackson.fixtures.Account;
import dev.quark.cluster.transport.jackson.fixtures.Bank;
import dev.quark.cluster.transport.jackson.fixtures.SavingsAccount;
import dev.quark.cluster.transport.jackson.fixtures.Transfer;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.MethodDescriptor;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.cbor.CBORMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * References to actors passed between two silos become references of the receiving silo's runtime.
 */
class ActorReferencePayloadTests {

    @AutoClose
    private final LoopbackSilos silos = new LoopbackSilos(JsonMapper.builder().build(), List.of("com.example.payloads"));

    @Test
    void referencesPassedAsArgumentsAreCalledOnTheReceivingSilo() {
        Bank bank = this.silos.client.get(Bank.class, "central");
        Account alice = this.silos.client.get(Account.class, "alice");
        Account bob = this.silos.client.get(Account.class, "bob");
        this.silos.bankSilo.get(Account.class, "alice").deposit(500);

        assertThat(bank.transfer(alice, bob, 200)).isEqualTo(200);

        assertThat(this.silos.bankSilo.get(Account.class, "alice").balance()).isEqualTo(300);
        assertThat(this.silos.bankSilo.isActive(Account.class, "bob")).isTrue();
        assertThat(this.silos.client.activationCount()).isZero();
    }

    @Test
    void referencesReturnedByARemoteActorAreReferencesOfTheCallersRuntime() {
        Bank bank = this.silos.client.get(Bank.class, "central");

        Account opened = bank.open("carol", 70);

        assertThat(opened).isInstanceOf(ActorRef.class);
        assertThat(((ActorRef) opened).actorId()).isEqualTo("carol");
        assertThat(((ActorRef) opened).actorContract()).isEqualTo(Account.class);
        assertThat(opened).isEqualTo(this.silos.client.get(Account.class, "carol"));
        assertThat(opened.deposit(30)).isEqualTo(100);
        assertThat(this.silos.bankSilo.get(Account.class, "carol").balance()).isEqualTo(100);
    }

    @Test
    void referencesInsideCollectionsOptionalsMapsAndRecordsAreReferencesToo() {
        Bank bank = this.silos.client.get(Bank.class, "central");
        List<Account> opened = bank.open(List.of("d-1", "d-2"));
        assertThat(opened).extracting((account) -> ((ActorRef) account).actorId()).containsExactly("d-1", "d-2");
        opened.getFirst().deposit(10);

        Optional<Account> largest = bank.largest(Map.of("first", opened.getFirst(), "second", opened.get(1)));
        assertThat(largest).hasValueSatisfying((account) -> assertThat(((ActorRef) account).actorId()).isEqualTo("d-1"));

        Transfer back = bank.settle(new Transfer(opened.getFirst(), opened.get(1), 4));
        assertThat(((ActorRef) back.from()).actorId()).isEqualTo("d-2");
        assertThat(back.from().balance()).isEqualTo(4);
    }

    @Test
    void aReferenceDeclaredAsActorRefOrToASubContractIsResolvedByItsWireName() {
        Bank bank = this.silos.client.get(Bank.class, "central");
        assertThat(bank.describe((ActorRef) this.silos.client.get(Account.class, "e-1"))).isEqualTo("Account/e-1");
        SavingsAccount savings = this.silos.client.get(SavingsAccount.class, "s-1");
        this.silos.bankSilo.get(Account.class, "s-1").deposit(100);
        assertThat(bank.describe((ActorRef) savings)).isEqualTo("SavingsAccount/s-1");
        assertThat(bank.transfer(savings, this.silos.client.get(Account.class, "e-1"), 60)).isEqualTo(60);
    }

    @Test
    void aReferenceToAContractTheReceiverDoesNotKnowFailsNamingItsWireName() {
        PayloadCodec codec = new JacksonPayloadCodec(JsonMapper.builder().build(), this.silos.bankSilo, List.of());
        MethodDescriptor describe = Descriptors.of(Bank.class, "describe");
        byte[] unknown = "[[\"Unknown\",\"u-1\"]]".getBytes();
        assertThatExceptionOfType(PayloadCodecException.class).isThrownBy(() -> codec.decodeArguments(describe, unknown))
            .withMessageContaining("argument 0 (dev.quark.actor.ActorRef)")
            .withMessageContaining("'Unknown'")
            .withMessageContaining("knows no contract by that name");
        MethodDescriptor transfer = Descriptors.of(Bank.class, "transfer");
        byte[] notAnAccount = "[[\"Bank\",\"b-1\"],[\"Account\",\"a\"],1]".getBytes();
        assertThatExceptionOfType(PayloadCodecException.class)
            .isThrownBy(() -> codec.decodeArguments(transfer, notAnAccount))
            .withMessageContaining("argument 0 (" + Account.class.getName() + ")")
            .withMessageContaining("it is not of that type");
    }

    @Test
    void aSubContractReferenceDecodesWhereTheReceiverKnowsItsWireNameInBinaryFormatsToo() {
        PayloadCodec sender = new JacksonPayloadCodec(CBORMapper.builder().build(), this.silos.client, List.of());
        MethodDescriptor transfer = Descriptors.of(Bank.class, "transfer");
        byte[] payload = sender.encodeArguments(transfer, new Object[] { this.silos.client.get(Account.class, "f"),
                this.silos.client.get(SavingsAccount.class, "t"), 5L });
        try (ActorRuntime receiver = ActorRuntime.builder().callableContract(SavingsAccount.class).build()) {
            PayloadCodec codec = new JacksonPayloadCodec(CBORMapper.builder().build(), receiver, List.of());
            @Nullable Object[] decoded = codec.decodeArguments(transfer, payload);
            assertThat(decoded[0]).isEqualTo(receiver.get(Account.class, "f"));
            assertThat(decoded[1]).isInstanceOf(SavingsAccount.class);
            assertThat(((ActorRef) decoded[1]).actorId()).isEqualTo("t");
            assertThat(decoded[2]).isEqualTo(5L);
        }
        try (ActorRuntime unaware = ActorRuntime.builder().callableContract(Account.class).build()) {
            PayloadCodec codec = new JacksonPayloadCodec(CBORMapper.builder().build(), unaware, List.of());
            assertThatExceptionOfType(PayloadCodecException.class).isThrownBy(() -> codec.decodeArguments(transfer, payload))
                .withMessageContaining("argument 1 (" + Account.class.getName() + ")")
                .withMessageContaining("'Savings'");
        }
    }

    @Test
    void anActorObjectIsNotAReference() {
        PayloadCodec codec = this.silos.clientCodec;
        MethodDescriptor transfer = Descriptors.of(Bank.class, "transfer");
        Account notAReference = new dev.quark.cluster.transport.jackson.fixtures.AccountActor();
        assertThatExceptionOfType(PayloadCodecException.class)
            .isThrownBy(() -> codec.encodeArguments(transfer, new Object[] { notAReference, notAReference, 1L }))
            .withMessageContaining("Cannot encode argument 0 (" + Account.class.getName() + ")")
            .withMessageContaining("is not an actor reference");
    }
}
