package dev.quark.autoconfigure.actors;

import dev.quark.actor.AbstractActor;
import dev.quark.actor.Actor;
import dev.quark.actor.ActorRef;
import dev.quark.actor.LocalPreferredPlacement;
import dev.quark.actor.RandomPlacement;
import dev.quark.autoconfigure.fixtures.duplicate.FirstEcho;
import dev.quark.autoconfigure.fixtures.greeting.Greeter;
import dev.quark.autoconfigure.fixtures.greeting.GreeterActor;
import dev.quark.autoconfigure.fixtures.payments.Payment;
import dev.quark.autoconfigure.fixtures.payments.PaymentRefusedException;
import dev.quark.autoconfigure.fixtures.payments.PaymentsActor;
import dev.quark.autoconfigure.fixtures.payments.Receipt;
import dev.quark.autoconfigure.fixtures.wallet.WalletActor;
import dev.quark.autoconfigure.fixtures.wallet.WalletState;
import dev.quark.autoconfigure.state.QuarkStateRuntimeHintsAccess;
import dev.quark.messaging.MessageId;
import dev.quark.messaging.OutboxMessage;
import dev.quark.messaging.publisher.OutboxReceiver;
import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.aot.test.generate.TestGenerationContext;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotContribution;
import org.springframework.beans.factory.aot.BeanFactoryInitializationCode;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.core.io.support.SpringFactoriesLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

class ActorRuntimeHintsTests {

    @Test
    void actorNeedsAProxyForEachContractAndInvocableContractMethods() {
        RuntimeHints hints = new RuntimeHints();
        ActorRuntimeHints.registerActor(hints, GreeterActor.class);
        assertThat(RuntimeHintsPredicates.proxies().forInterfaces(Greeter.class, ActorRef.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(Greeter.class, "greet")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(GreeterActor.class)).accepts(hints);
    }

    @Test
    void actorExtendingAbstractActorLetsTheRuntimeReachTheBaseClassHostAndLifecycleHooks() {
        RuntimeHints hints = new RuntimeHints();
        ActorRuntimeHints.registerActor(hints, GreeterActor.class);
        assertThat(RuntimeHintsPredicates.reflection().onFieldAccess(AbstractActor.class, "host")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(AbstractActor.class, "onActivate"))
            .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(AbstractActor.class, "onDeactivate"))
            .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(AbstractActor.class, "supervisorStrategy"))
            .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(AbstractActor.class, "onChildEscalation"))
            .accepts(hints);
    }

    @Test
    void placementAnnotationsAreReachableForTheRoutingToReadThem() {
        RuntimeHints hints = new RuntimeHints();
        ActorRuntimeHints.registerActor(hints, RoamingActor.class);
        assertThat(RuntimeHintsPredicates.reflection().onType(RandomPlacement.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(LocalPreferredPlacement.class)).rejects(hints);
        RuntimeHints plain = new RuntimeHints();
        ActorRuntimeHints.registerActor(plain, GreeterActor.class);
        assertThat(RuntimeHintsPredicates.reflection().onType(RandomPlacement.class)).rejects(plain);
    }

    @RandomPlacement
    static class RoamingActor extends AbstractActor implements Roaming {

        @Override
        public String where() {
            return "here";
        }
    }

    interface Roaming extends Actor {

        String where();
    }

    @Test
    void actorNotExtendingAbstractActorNeedsNoHintsForIt() {
        RuntimeHints hints = new RuntimeHints();
        ActorRuntimeHints.registerActor(hints, FirstEcho.class);
        assertThat(RuntimeHintsPredicates.reflection().onType(AbstractActor.class)).rejects(hints);
    }

    @Test
    void stateFieldsAndTheirValueTypesGetHintsForInjectionAndJsonBinding() throws NoSuchFieldException {
        RuntimeHints hints = new RuntimeHints();
        ActorRuntimeHints.registerActor(hints, WalletActor.class);
        assertThat(RuntimeHintsPredicates.reflection().onFieldAccess(WalletActor.class.getDeclaredField("wallet")))
            .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onFieldAccess(WalletActor.class.getDeclaredField("audit")))
            .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(WalletState.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(WalletState.class, "balance")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(WalletState.class, "lastChange")).accepts(hints);
    }

    @Test
    void contractPayloadsGetJsonBindingAndDeclaredExceptionsTheirConstructors() throws NoSuchMethodException {
        RuntimeHints hints = new RuntimeHints();
        ActorRuntimeHints.registerActor(hints, PaymentsActor.class);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(Payment.class, "reference")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onConstructorInvocation(
                Payment.class.getDeclaredConstructor(String.class, long.class, java.util.List.class)))
            .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(Receipt.class, "paidAt")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onConstructorInvocation(
                PaymentRefusedException.class.getConstructor(String.class)))
            .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(ActorRef.class)).rejects(hints);
    }

    @Test
    void theJdkExceptionsThePayloadCodecRebuildsGetTheirConstructors() throws NoSuchMethodException {
        RuntimeHints hints = new RuntimeHints();
        ActorRuntimeHints.registerPayloadCodec(hints);
        assertThat(RuntimeHintsPredicates.reflection().onConstructorInvocation(
                IllegalStateException.class.getConstructor(String.class)))
            .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(java.util.concurrent.TimeoutException.class)
            .withMemberCategory(MemberCategory.INVOKE_PUBLIC_CONSTRUCTORS)).accepts(hints);
    }

    @Test
    void quarksChangelogsAreNativeResources() {
        RuntimeHints hints = new RuntimeHints();
        new QuarkStateRuntimeHintsAccess().register(hints);
        assertThat(RuntimeHintsPredicates.resource().forResource("db/changelog/quark/state.xml")).accepts(hints);
    }

    @Test
    void aotProcessorContributesHintsForEveryActorBean() {
        DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();
        RootBeanDefinition definition = new RootBeanDefinition(GreeterActor.class);
        definition.setScope(BeanDefinition.SCOPE_PROTOTYPE);
        beanFactory.registerBeanDefinition("greeter", definition);

        BeanFactoryInitializationAotContribution contribution = new ActorRuntimeHintsAotProcessor()
            .processAheadOfTime(beanFactory);
        assertThat(contribution).isNotNull();
        TestGenerationContext generationContext = new TestGenerationContext();
        contribution.applyTo(generationContext, mock(BeanFactoryInitializationCode.class));
        assertThat(RuntimeHintsPredicates.proxies().forInterfaces(Greeter.class, ActorRef.class))
            .accepts(generationContext.getRuntimeHints());
        assertThat(RuntimeHintsPredicates.reflection().onType(IllegalArgumentException.class)
            .withMemberCategory(MemberCategory.INVOKE_PUBLIC_CONSTRUCTORS)).accepts(generationContext.getRuntimeHints());
    }

    @Test
    void aotProcessorIsRegistered() {
        assertThat(SpringFactoriesLoader.forResourceLocation("META-INF/spring/aot.factories")
            .load(org.springframework.beans.factory.aot.BeanFactoryInitializationAotProcessor.class))
            .anyMatch(ActorRuntimeHintsAotProcessor.class::isInstance);
    }

    @Test
    void anActorDestinationsActorGetsJsonBindingOfTheOutboxMessageItReceivesFromOtherSilos() {
        RuntimeHints hints = new RuntimeHints();
        ActorRuntimeHints.registerActor(hints, LedgerActor.class);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(OutboxMessage.class, "headers")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(OutboxMessage.class, "createdAt"))
            .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(MessageId.class, "value")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(OutboxReceiver.class)).accepts(hints);
    }

    public interface Ledger extends OutboxReceiver {
    }

    public static class LedgerActor extends AbstractActor implements Ledger {

        @Override
        public void receive(OutboxMessage message) {
        }
    }
}
