package dev.quark.samples.bank;

import dev.quark.actor.ActorRefFactory;
import dev.quark.messaging.MessagePublisher;
import dev.quark.messaging.publisher.ActorMessagePublisher;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Where the bank's outbox messages go: both destinations are actors, the message's key naming the actor.
 */
@Configuration(proxyBeanMethods = false)
class BankDestinations {

    /** Transfer credits, to the {@link Account} credited. */
    static final String CREDITS = "bank.credits";

    /** Ledger entries, to the {@link Ledger} of the account that changed. */
    static final String LEDGER = "bank.ledger";

    @Bean
    MessagePublisher creditsDestination(ActorRefFactory actors) {
        return new ActorMessagePublisher(CREDITS, actors, Account.class);
    }

    @Bean
    MessagePublisher ledgerDestination(ActorRefFactory actors) {
        return new ActorMessagePublisher(LEDGER, actors, Ledger.class);
    }
}
