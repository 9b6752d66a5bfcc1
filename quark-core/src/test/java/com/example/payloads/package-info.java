/**
 * Application exceptions of the payload codec tests, in a package the tests allow.
 */
package com.example.payloads;
