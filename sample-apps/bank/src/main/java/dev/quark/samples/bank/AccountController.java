package dev.quark.samples.bank;

import dev.quark.actor.ActorRefFactory;
import dev.quark.state.ConcurrencyException;
import dev.quark.state.StateStoreException;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The REST API of the bank: every request is one call to the account's actor.
 */
@RestController
@RequestMapping("/accounts/{id}")
class AccountController {

    private final ActorRefFactory actors;

    AccountController(ActorRefFactory actors) {
        this.actors = actors;
    }

    @PostMapping("/deposit")
    AccountBalance deposit(@PathVariable String id, @RequestParam long amount) {
        return new AccountBalance(id, account(id).deposit(amount));
    }

    @PostMapping("/withdraw")
    AccountBalance withdraw(@PathVariable String id, @RequestParam long amount) {
        return new AccountBalance(id, account(id).withdraw(amount));
    }

    @GetMapping
    AccountBalance balance(@PathVariable String id) {
        return new AccountBalance(id, account(id).balance());
    }

    @ExceptionHandler
    ProblemDetail insufficientFunds(InsufficientFundsException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail invalidAmount(IllegalArgumentException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail concurrentChange(ConcurrencyException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, "The account changed meanwhile; try again");
    }

    @ExceptionHandler
    ProblemDetail storeUnavailable(StateStoreException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, "Accounts are unavailable; try again later");
    }

    private Account account(String id) {
        return this.actors.get(Account.class, id);
    }

    /**
     * The balance of an account after an operation.
     * @param id the account id
     * @param balance the balance
     */
    record AccountBalance(String id, long balance) {
    }
}
